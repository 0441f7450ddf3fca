import type { RequestContext } from "../../core/context.js";
import type { Refused } from "../../core/outcome.js";
import { wanConfig } from "./ceremony.js";
import type { StateRefusal } from "./state.js";

/**
 * A sign-up state that cannot be used (takeState's rule: forged, of another ceremony → API_ERROR; too old, or
 * already used → WEBAUTHN_EXPIRED, "start over"). Browsers go back to the sign-up form with the message.
 */
export function stateRefusal(ctx: RequestContext, ref: StateRefusal): Refused {
  const { rt } = ctx;
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
