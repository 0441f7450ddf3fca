import type { RequestContext } from "../../core/context.js";
import type { Refused } from "../../core/outcome.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import { wanConfig } from "./ceremony.js";
import { withinSeconds } from "./state.js";

/**
 * A sign-up state that cannot be used (as FS answers a bad `wan_state`): forged or of another ceremony →
 * API_ERROR; too old, or already used → WEBAUTHN_EXPIRED ("start over"). Browsers go back to the sign-up form
 * with the message.
 */
export function stateRefusal(ctx: RequestContext, reason: "invalid" | "expired"): Refused {
  const { rt } = ctx;
  const ref =
    reason === "invalid"
      ? { code: "API_ERROR" as const }
      : { code: "WEBAUTHN_EXPIRED" as const, params: { within: humanizeSeconds(withinSeconds(ctx, "signup")) } };
  return {
    kind: "refused",
    refs: [ref],
    status: 400,
    browser: {
      redirect: wanConfig(rt).signupUrl,
      flash: { category: "error", message: rt.message(ref.code, "params" in ref ? ref.params : undefined) },
    },
  };
}
