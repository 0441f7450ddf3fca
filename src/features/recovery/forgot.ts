import { recordAudit } from "../../core/audit.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { setFlash, takeFlashes } from "../../core/http/flash.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { humanizeSeconds } from "../../core/humanize.js";
import { readInput, text } from "../../core/input.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { deliverMail } from "../../core/mail-delivery.js";
import type { MessageKey } from "../../core/messages.js";
import { normalizeEmailAddress } from "../../core/policy/email.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { recoverySlice } from "./config.js";
import type { ResetInstructionsContext } from "./emails.js";
import { forgotPage } from "./pages.js";
import { resetLink } from "./token.js";

/**
 * GET/POST /reset ("forgot password"): mails a reset link to an eligible account — one that exists, is active
 * and needs no email confirmation. Requesting a link changes nothing about the account.
 *
 * With generic responses on (the default) every well-formed request gets the same 200 `{csrf_token}` (forms: the
 * same redirect and flash) whether or not the address belongs to an eligible account, and does the same work
 * before answering: one lookup and one audit row. What only the eligible case does (link, event, after-hook,
 * rendering and delivering the mail) runs after the answer (core/deferred.ts), so timing does not tell either. With generic responses off, FS's specific errors.
 */
export async function getForgot(ctx: RequestContext): Promise<Response> {
  const { rt } = ctx;
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { csrf_token: csrfToken });
  const action = rt.url(sliceOf(rt.config, recoverySlice).resetUrl);
  return htmlResponse(ctx, 200, forgotPage(ctx, { action, csrfToken, flashes: takeFlashes(ctx) }));
}

type Refusal = Extract<MessageKey, "USER_DOES_NOT_EXIST" | "DISABLED_ACCOUNT" | "CONFIRMATION_REQUIRED">;

function refusalFor(ctx: RequestContext, user: UserRecord | null): Refusal | null {
  if (!user) return "USER_DOES_NOT_EXIST";
  if (!user.active) return "DISABLED_ACCOUNT";
  if (ctx.rt.services.confirmation?.pending(user)) return "CONFIRMATION_REQUIRED";
  return null;
}

export async function postForgot(ctx: RequestContext): Promise<Response> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, recoverySlice);
  const action = rt.url(cfg.resetUrl);
  const input = await readInput(ctx, { email: text() });
  const fail = async (errors: FieldErrors): Promise<Response> =>
    ctx.wantsJson ? formErrorJson(ctx, errors) : htmlResponse(ctx, 200, forgotPage(ctx, { action, csrfToken: await issueCsrfToken(ctx), email: input.email, errors }));

  // Shape errors say nothing about accounts, so they are reported in generic mode too.
  const address = normalizeEmailAddress(input.email ?? null);
  if (!address.ok) return fail({ email: [{ code: address.code }] });
  const email = address.email;
  const user = await rt.datastore.users.findByEmail(email);
  const veto = await runBeforeHook(ctx, "forgot_password", user);
  if (veto) return fail(vetoErrors(veto));

  const generic = rt.config.returnGenericResponses;
  const refusal = refusalFor(ctx, user);
  if (refusal || !user) {
    await recordAudit(ctx, { event: "reset_password_instructions_sent", outcome: "failure", user, identity: email, details: { reason: refusal } });
    if (!generic) return fail({ email: [{ code: refusal ?? "USER_DOES_NOT_EXIST" }] });
    return requested(ctx, action, email);
  }

  await recordAudit(ctx, { event: "reset_password_instructions_sent", outcome: "success", user, details: { mailed: cfg.sendPasswordResetEmail } });
  // Everything done only for an eligible account — the link, the event, the after-hook, the mail — runs after the
  // answer in generic mode, so its timing does not tell (a failure is logged and audited, never lost).
  await nowOrAfterAnswer(ctx, generic, "reset_password_instructions", user, async () => {
    const link = resetLink(ctx, cfg, user);
    await rt.events.emit("reset_password_instructions_sent", { user, token: link.token });
    await runAfterHook(ctx, "forgot_password", user);
    if (!cfg.sendPasswordResetEmail) return;
    const context: ResetInstructionsContext = {
      email: user.email,
      subject: cfg.emailSubjectPasswordReset,
      reset_link: link.url,
      reset_token: link.token,
      within: humanizeSeconds(cfg.resetPasswordWithinSeconds),
    };
    // deliverMail never rejects (a failure is logged and audited as mail_failed); the user can ask again.
    await deliverMail(ctx, "reset_instructions", user.email, context, user);
  });
  return requested(ctx, action, email);
}

async function requested(ctx: RequestContext, action: string, email: string): Promise<Response> {
  const { rt } = ctx;
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { csrf_token: await issueCsrfToken(ctx) });
  const message = rt.config.returnGenericResponses ? rt.message("GENERIC_RECOVERY") : rt.message("PASSWORD_RESET_REQUEST", { email });
  setFlash(ctx, "info", message);
  return redirectResponse(ctx, action);
}
