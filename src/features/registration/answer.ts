import { signedInPayload, type SignedInPayload } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { ok, type Ok } from "../../core/outcome.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { registrationSlice } from "./config.js";
import type { RegistrationForm } from "./form.js";

/**
 * The answer of a registration that signed nobody in, shared with the generic "already registered" path so
 * both look the same: pending confirmation → {user, csrf_token}; otherwise {user, csrf_token, tf_required:false}
 * (a registration signed in answers the same keys, with the auth token when asked for: completeSignIn).
 * Browsers go to `registeredView` (a pending one with a flash saying where the confirmation went).
 */
export async function answerRegistered(
  ctx: RequestContext,
  form: RegistrationForm,
  user: UserRecord,
): Promise<Ok<SignedInPayload, never>> {
  const { rt } = ctx;
  const pending = rt.services.confirmation?.pending(user) ?? false;
  const payload = await signedInPayload(ctx, user, null, pending ? {} : { tf_required: false });
  const flash = pending
    ? { flash: { category: "info" as const, message: rt.message("CONFIRM_REGISTRATION", { email: user.email }) } }
    : {};
  return ok(payload, { csrf: true, browser: { redirect: registeredView(ctx, form), ...flash } });
}

/** Where browsers go after registering: a safe `next`, else POST_REGISTER_VIEW, else POST_LOGIN_VIEW. */
export function registeredView(ctx: RequestContext, form: RegistrationForm): string {
  return form.next ?? sliceOf(ctx.rt.config, registrationSlice).postRegisterView ?? ctx.rt.config.urls.postLoginView;
}
