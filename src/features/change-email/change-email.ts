import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { runAfterHook } from "../../core/hooks.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import { externalUrl } from "../../kit/http/links.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { text } from "../../core/input.js";
import { fingerprint, signLinkToken } from "../../kit/link-tokens.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { formErrors, ok } from "../../core/outcome.js";
import { normalizeEmailAddress } from "../../core/policy/index.js";
import type { PageProps } from "../../core/render.js";
import { csrfToken, userJson } from "../../kit/schemas.js";
import type { UserRecord } from "../../datastore/contracts.js";
import type { Flash } from "../../pages/kit.js";
import { changeEmailSlice } from "./config.js";
import { changeEmailPage } from "./pages.js";
import { admitSend } from "../../kit/send-limits.js";

/**
 * GET/POST /change-email (fresh authentication required). POST takes the new address, checks it (syntax,
 * not already registered) and mails it a signed link bound to the user's fs_uniquifier, a fingerprint of the
 * CURRENT address and the new address; nothing changes until that link is followed. The current address is
 * told too (Rampart addition). With generic responses on, a taken address answers exactly like a free one
 * and nothing is sent, so the endpoint cannot be used to probe which addresses have accounts.
 */
export const CHANGE_EMAIL_PURPOSE = "change-email";

interface ChangeEmailView {
  currentEmail: string;
  flashes?: Flash[];
}

function page(ctx: RequestContext, props: PageProps<{ email?: string }, ChangeEmailView>): string {
  const { url } = sliceOf(ctx.rt.config, changeEmailSlice);
  return changeEmailPage(ctx, {
    action: ctx.rt.url(url),
    csrfToken: props.csrfToken,
    currentEmail: props.view?.currentEmail ?? "",
    email: props.errors ? (props.input.email ?? "") : undefined,
    errors: props.errors,
    flashes: [...props.takeFlashes(), ...(props.view?.flashes ?? [])],
  });
}

/** Every answer names the current address (it changes only when the link is followed). */
const answer = z.object({ user: userJson, current_email: z.string(), csrf_token: csrfToken });

export const getChangeEmailRoute = (path: string) =>
  defineRoute({
    id: "change-email.form",
    summary: "The change-email form: the user, the current address and a CSRF token.",
    method: "GET",
    path,
    auth: "fresh",
    output: answer,
    page,
    async handle(ctx, { caller }) {
      const user = caller.user;
      return ok(
        { user: await ctx.rt.serializeUser(user), current_email: user.email },
        { csrf: true, browser: { view: { currentEmail: user.email } } },
      );
    },
  });

export const postChangeEmailRoute = (path: string) =>
  defineRoute({
    id: "change-email",
    summary:
      "Ask to change the address: a confirmation link goes to the new one (nothing changes until it is followed).",
    method: "POST",
    path,
    auth: "fresh",
    limits: ["send"],
    input: z.object({ email: text() }),
    output: answer,
    page,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const user = caller.user;
      const fail = (errors: FieldErrors) =>
        formErrors(errors, { view: { currentEmail: user.email }, extra: { current_email: user.email } });
      const sent = async (newEmail: string) =>
        ok(
          { user: await rt.serializeUser(user), current_email: user.email },
          {
            csrf: true,
            browser: {
              view: {
                currentEmail: user.email,
                flashes: [{ category: "success", message: rt.message("CHANGE_EMAIL_SENT", { email: newEmail }) }],
              },
            },
          },
        );

      const normalized = normalizeEmailAddress(input.email);
      if (!normalized.ok) return fail({ email: [{ code: normalized.code }] });
      const newEmail = normalized.email;
      const veto = await hookVeto(ctx, "change_email", user);
      if (veto) return fail(veto.errors);

      // Counted before the lookup: a taken address and a free one are answered alike.
      await admitSend(ctx, "mail", newEmail, { kind: "account", userId: user.id, own: false });
      const owner = await rt.datastore.users.findByEmail(newEmail);
      if (owner) {
        await recordAudit(ctx, {
          event: "change_email_requested",
          outcome: "failure",
          user,
          details: { reason: "EMAIL_ALREADY_ASSOCIATED" },
        });
        // Generic mode: look exactly like success but send nothing (a mail to the owner would let anyone pester them).
        if (rt.config.returnGenericResponses) return sent(newEmail);
        return fail({ email: [{ code: "EMAIL_ALREADY_ASSOCIATED", params: { email: newEmail } }] });
      }
      await requestChange(ctx, user, newEmail);
      return sent(newEmail);
    },
  });

/** Signs the link, audits, tells listeners and the after-hook, and mails the new address (and the old one). */
async function requestChange(ctx: RequestContext, user: UserRecord, newEmail: string): Promise<void> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, changeEmailSlice);
  const token = signLinkToken(rt, CHANGE_EMAIL_PURPOSE, [user.fsUniquifier, fingerprint(user.email), newEmail]);
  const link = externalUrl(ctx, `${cfg.url}/${token}`);
  const within = humanizeSeconds(cfg.withinSeconds);
  await recordAudit(ctx, {
    event: "change_email_requested",
    outcome: "success",
    user,
    details: { new_email: newEmail },
  });
  await rt.events.emit("change_email_instructions_sent", { user, newEmail, token });
  await runAfterHook(ctx, "change_email", user);

  const mails = async () => {
    await deliverMail(
      ctx,
      "change_email_instructions",
      newEmail,
      { subject: cfg.subject, link, token, within, email: user.email, new_email: newEmail },
      user,
    );
    if (cfg.notifyOld) {
      await deliverMail(
        ctx,
        "change_email_notice",
        user.email,
        { subject: cfg.noticeSubject, email: user.email, new_email: newEmail, within },
        user,
      );
    }
  };
  // Generic mode: the answer must not wait for SMTP, or its timing would tell a free address from a taken one.
  await nowOrAfterAnswer(ctx, rt.config.returnGenericResponses, "change_email_instructions", user, mails);
}
