import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import { text } from "../../core/input.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import type { MessageKey } from "../../core/messages.js";
import { fieldError, ok, type Outcome } from "../../core/outcome.js";
import { normalizeEmailAddress } from "../../core/policy/email.js";
import type { PageProps } from "../../core/render.js";
import { formRoute } from "../../kit/form-route.js";
import { formPayload } from "../../kit/schemas.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { recoverySlice } from "./config.js";
import type { ResetInstructionsContext } from "./emails.js";
import { forgotPage } from "./pages.js";
import { resetLink } from "./token.js";
import { admitSend } from "../../kit/send-limits.js";

/**
 * GET/POST /reset ("forgot password"): mails a reset link to an eligible account — one that exists, is active
 * and needs no email confirmation. Requesting a link changes nothing about the account.
 *
 * With generic responses on (the default) every well-formed request gets the same 200 `{csrf_token}` (forms: the
 * same redirect and flash) whether or not the address belongs to an eligible account, and does the same work
 * before answering: one lookup and one audit row. What only the eligible case does (link, event, after-hook,
 * rendering and delivering the mail) runs after the answer (core/deferred.ts), so timing does not tell either. With generic responses off, FS's specific errors.
 */
function page(ctx: RequestContext, props: PageProps<{ email?: string }>): string {
  const action = ctx.rt.url(sliceOf(ctx.rt.config, recoverySlice).resetUrl);
  return forgotPage(ctx, {
    action,
    csrfToken: props.csrfToken,
    email: props.input.email,
    errors: props.errors,
    flashes: props.errors ? [] : props.takeFlashes(),
  });
}

export const getForgotRoute = (path: string) =>
  formRoute({
    id: "reset.form",
    summary: "The forgot-password form: a CSRF token to post it with.",
    path,
    auth: "any",
    page,
  });

type Refusal = Extract<MessageKey, "USER_DOES_NOT_EXIST" | "DISABLED_ACCOUNT" | "CONFIRMATION_REQUIRED">;

function refusalFor(ctx: RequestContext, user: UserRecord | null): Refusal | null {
  if (!user) return "USER_DOES_NOT_EXIST";
  if (!user.active) return "DISABLED_ACCOUNT";
  if (ctx.rt.services.confirmation?.pending(user)) return "CONFIRMATION_REQUIRED";
  return null;
}

export const postForgotRoute = (path: string) =>
  defineRoute({
    id: "reset",
    summary: "Mail a password reset link (with generic responses, the same answer for any address).",
    method: "POST",
    path,
    auth: "any",
    limits: ["send"],
    input: z.object({ email: text() }),
    output: formPayload,
    page,
    handle: (ctx, { input }) => forgot(ctx, input.email),
  });

async function forgot(ctx: RequestContext, rawEmail: string | undefined): Promise<Outcome<Record<string, never>>> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, recoverySlice);
  // Shape errors say nothing about accounts, so they are reported in generic mode too.
  const address = normalizeEmailAddress(rawEmail ?? null);
  if (!address.ok) return fieldError("email", address.code);
  const email = address.email;
  // Counted for every address, known or not, so the answers stay alike.
  await admitSend(ctx, "mail", email);
  const user = await rt.datastore.users.findByEmail(email);
  const veto = await hookVeto(ctx, "forgot_password", user);
  if (veto) return veto;

  const generic = rt.config.returnGenericResponses;
  const refusal = refusalFor(ctx, user);
  if (refusal || !user) {
    await recordAudit(ctx, {
      event: "reset_password_instructions_sent",
      outcome: "failure",
      user,
      identity: email,
      details: { reason: refusal },
    });
    if (!generic) return fieldError("email", refusal ?? "USER_DOES_NOT_EXIST");
    return requested(ctx, email);
  }

  await recordAudit(ctx, {
    event: "reset_password_instructions_sent",
    outcome: "success",
    user,
    details: { mailed: cfg.sendPasswordResetEmail },
  });
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
  return requested(ctx, email);
}

/** Asked: `{csrf_token}`; browsers go back to the form, whose flash says what happens next. */
function requested(ctx: RequestContext, email: string): Outcome<Record<string, never>> {
  const { rt } = ctx;
  const message = rt.config.returnGenericResponses
    ? rt.message("GENERIC_RECOVERY")
    : rt.message("PASSWORD_RESET_REQUEST", { email });
  return ok(
    {},
    {
      csrf: true,
      browser: { redirect: rt.url(sliceOf(rt.config, recoverySlice).resetUrl), flash: { category: "info", message } },
    },
  );
}
