import { completeSignIn } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { tooManyAttempts } from "../../core/lockout/refusal.js";
import type { MessageKey } from "../../core/messages.js";
import { formErrors, type FormErrors, type Outcome } from "../../core/outcome.js";
import type { AssertionVerdict } from "./assertion-check.js";
import type { SigninView } from "./signin-page.js";

/** The answers of /wan-signin/<state>, for the first and the second factor alike. */

/** The sign-in's tail for both factors: FS's payload adds where a browser would go next. */
export function signedInTail(
  ctx: RequestContext,
  result: Parameters<typeof completeSignIn>[1],
  how: { next: string | null; view: SigninView },
): ReturnType<typeof completeSignIn<SigninView>> {
  const goTo = how.next ?? ctx.rt.config.urls.postLoginView;
  return completeSignIn(ctx, result, {
    action: "wan_signin",
    denyField: "credential",
    next: how.next,
    extra: { post_login_url: goTo, tf_required: false },
    view: how.view,
  });
}

/** A refused assertion: 429 while the account waits, else why it was refused. */
export function assertionRefused(
  result: { reason: string; retryAfterSeconds?: number },
  verdict: AssertionVerdict,
  view: SigninView,
): Outcome<any, SigninView> {
  if (result.reason === "BUDGET_SPENT") return tooManyAttempts(result);
  if (verdict.otherUser) return credentialError("WEBAUTHN_MISMATCH_USER_HANDLE", view);
  return credentialError("WEBAUTHN_NO_VERIFY", view, { cause: verdict.cause ?? "not verified" });
}

/** The answer's error, on the `credential` field as FS reports it; browsers get the sign-in page again with it. */
export function credentialError(
  code: MessageKey,
  view: SigninView,
  params?: Record<string, string>,
): FormErrors<SigninView> {
  return formErrors({ credential: [{ code, ...(params ? { params } : {}) }] }, { view });
}
