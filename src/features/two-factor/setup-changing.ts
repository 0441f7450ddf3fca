import { issueAuthToken } from "../../core/auth-tokens.js";
import { recordAudit } from "../../core/audit.js";
import { signedInPayload } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import type { Caller } from "../../core/identity.js";
import { fieldError, ok, type Outcome } from "../../core/outcome.js";
import { availableMethods, checkCode, clearAttempts, drawAttempt } from "./codes.js";
import { commitSetup } from "./setup-authenticated.js";
import {
  clearPending,
  consumePending,
  primaryMethod,
  secretBox,
  tfConfig,
  type Pending,
  type PendingState,
} from "./state.js";
import { permissionDenied, type ValidateView } from "./validate.js";

/**
 * /tf-validate for a signed-in user's change (FS "changing"): the pending cookie set by POST /tf-setup holds the
 * new sealed secret; a correct code for it makes it the user's method. The user stays signed in; no sign-in
 * pipeline runs. The route has matched the caller to the state's user before calling these.
 */
export async function changeForm(
  ctx: RequestContext,
  caller: Caller,
  state: PendingState,
): Promise<Outcome<any, ValidateView>> {
  return ok(await signedInPayload(ctx, caller.user, null), {
    csrf: true,
    browser: { view: { method: state.m ?? "" } },
  });
}

export async function validateChange(
  ctx: RequestContext,
  caller: Caller,
  pending: Pending,
  rawCode: string,
): Promise<Outcome<any, ValidateView>> {
  const { rt } = ctx;
  const { state } = pending;
  const user = caller.user;
  const method = state.m;
  const sealed = state.t;
  const secret = sealed ? secretBox(rt).open(sealed) : null;
  // Started against the method the user had then: a change settled meanwhile (state token, disable, another
  // change) leaves this one stale.
  const previous = primaryMethod(user);
  if (
    (state.o ?? null) !== previous ||
    !method ||
    !availableMethods(ctx).includes(method) ||
    !sealed ||
    !secret ||
    (method === "sms" && !state.p)
  ) {
    clearPending(ctx);
    return permissionDenied(ctx);
  }
  const spent = await drawAttempt(ctx, user);
  if (spent) return spent;
  if (!(await checkCode(ctx, user, method, secret, rawCode.replace(/\s+/g, ""), state.n ?? 0))) {
    await recordAudit(ctx, { event: "tf_setup", outcome: "failure", user, details: { method } });
    return fieldError("code", "TWO_FACTOR_INVALID_TOKEN", { view: { method } });
  }
  await clearAttempts(ctx, user);
  if (!(await consumePending(ctx, pending))) {
    clearPending(ctx);
    return permissionDenied(ctx);
  }
  clearPending(ctx);
  const updated = await commitSetup(ctx, user, { method, sealed, phone: state.p ?? null, previous });
  const token = ctx.includeAuthToken() ? await issueAuthToken(rt, updated, caller.authenticatedAtSeconds) : null;
  // FS: browsers get a flash and go to TWO_FACTOR_POST_SETUP_VIEW (the setup page by default).
  return ok(await signedInPayload(ctx, updated, token), {
    csrf: true,
    browser: {
      redirect: rt.url(tfConfig(rt).setupUrl),
      flash: { category: "success", message: rt.message("TWO_FACTOR_CHANGE_METHOD_SUCCESSFUL") },
    },
  });
}
