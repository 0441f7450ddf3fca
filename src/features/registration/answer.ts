import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { setFlash } from "../../core/http/flash.js";
import { jsonResponse, redirectResponse } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { registrationSlice } from "./config.js";
import type { RegistrationForm } from "./form.js";

/**
 * The success answer, shared with the generic "already registered" path so both look the same:
 * signed in → {user (+token), csrf_token, tf_required:false}; pending confirmation → {user, csrf_token}.
 * Browsers go to a safe `next`, else POST_REGISTER_VIEW, else POST_LOGIN_VIEW.
 */
export async function answerRegistered(
  ctx: RequestContext,
  form: RegistrationForm,
  user: UserRecord,
  options: { signedIn: boolean; pendingConfirmation?: boolean; authToken?: string | null },
): Promise<Response> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, registrationSlice);
  const pending = options.pendingConfirmation ?? rt.services.confirmation?.pending(user) ?? false;
  if (ctx.wantsJson) {
    const extra = pending ? {} : { tf_required: false };
    return jsonResponse(ctx, 200, await userPayload(ctx, user, options.signedIn ? options.authToken ?? null : null, extra));
  }
  if (pending) setFlash(ctx, "info", rt.message("CONFIRM_REGISTRATION", { email: user.email }));
  return redirectResponse(ctx, form.next ?? cfg.postRegisterView ?? rt.config.urls.postLoginView);
}
