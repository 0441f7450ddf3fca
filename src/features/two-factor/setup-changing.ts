import { issueAuthToken } from "../../core/auth-tokens.js";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { setFlash } from "../../core/http/flash.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import type { Caller } from "../../core/identity.js";
import { availableMethods, checkCode, clearAttempts, drawAttempt } from "./codes.js";
import { validatePage } from "./pages.js";
import { commitSetup } from "./setup-authenticated.js";
import { clearPending, consumePending, primaryMethod, secretBox, tfConfig, type Pending, type PendingState } from "./state.js";

/**
 * /tf-validate for a signed-in user's change (FS "changing"): the pending cookie set by POST /tf-setup holds the
 * new sealed secret; a correct code for it makes it the user's method. The user stays signed in; no sign-in
 * pipeline runs. The caller has already been matched to the state's user.
 */
export async function getChangeValidate(ctx: RequestContext, caller: Caller, state: PendingState): Promise<Response> {
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, caller.user, null, { csrf_token: csrfToken }));
  return htmlResponse(ctx, 200, validatePage(ctx, { csrfToken, method: state.m ?? "" }));
}

export async function postChangeValidate(ctx: RequestContext, caller: Caller, pending: Pending, rawCode: string, denied: () => Response): Promise<Response> {
  const { rt } = ctx;
  const { state } = pending;
  const user = caller.user;
  const method = state.m;
  const sealed = state.t;
  const secret = sealed ? secretBox(rt).open(sealed) : null;
  // Started against the method the user had then: a change settled meanwhile (state token, disable, another
  // change) leaves this one stale.
  const previous = primaryMethod(user);
  if ((state.o ?? null) !== previous || !method || !availableMethods(ctx).includes(method) || !sealed || !secret || (method === "sms" && !state.p)) {
    clearPending(ctx);
    return denied();
  }
  const fail = async (errors: FieldErrors): Promise<Response> =>
    ctx.wantsJson ? formErrorJson(ctx, errors, 400) : htmlResponse(ctx, 200, validatePage(ctx, { csrfToken: await issueCsrfToken(ctx), method, errors }));
  const spent = await drawAttempt(ctx, user);
  if (spent) return spent;
  if (!(await checkCode(ctx, user, method, secret, rawCode.replace(/\s+/g, ""), state.n ?? 0))) {
    await recordAudit(ctx, { event: "tf_setup", outcome: "failure", user, details: { method } });
    return fail({ code: [{ code: "TWO_FACTOR_INVALID_TOKEN" }] });
  }
  await clearAttempts(ctx, user);
  if (!(await consumePending(ctx, pending))) {
    clearPending(ctx);
    return denied();
  }
  clearPending(ctx);
  const updated = await commitSetup(ctx, user, { method, sealed, phone: state.p ?? null, previous });
  if (ctx.wantsJson) {
    const token = ctx.includeAuthToken() ? await issueAuthToken(rt, updated, caller.authenticatedAtSeconds) : null;
    return jsonResponse(ctx, 200, await userPayload(ctx, updated, token));
  }
  // FS: flash, then TWO_FACTOR_POST_SETUP_VIEW (the setup page by default).
  setFlash(ctx, "success", rt.message("TWO_FACTOR_CHANGE_METHOD_SUCCESSFUL"));
  return redirectResponse(ctx, rt.url(tfConfig(rt).setupUrl));
}
