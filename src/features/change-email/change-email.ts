import { recordAudit } from "../../core/audit.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { humanizeSeconds } from "../../core/humanize.js";
import { takeFlashes } from "../../core/http/flash.js";
import { externalUrl } from "../../core/http/links.js";
import { errorPayload, errorStatus, htmlResponse, jsonResponse, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import type { Caller } from "../../core/identity.js";
import { readInput, text } from "../../core/input.js";
import { fingerprint, signLinkToken } from "../../core/link-tokens.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { deliverMail } from "../../core/mail-delivery.js";
import { normalizeEmailAddress } from "../../core/policy/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import type { Flash } from "../../pages/kit.js";
import { changeEmailSlice } from "./config.js";
import { changeEmailPage } from "./pages.js";

/**
 * GET/POST /change-email (fresh authentication required). POST takes the new address, checks it (syntax,
 * not already registered) and mails it a signed link bound to the user's fs_uniquifier, a fingerprint of the
 * CURRENT address and the new address; nothing changes until that link is followed. The current address is
 * told too (Rampart addition). With generic responses on, a taken address answers exactly like a free one
 * and nothing is sent, so the endpoint cannot be used to probe which addresses have accounts.
 */
export const CHANGE_EMAIL_PURPOSE = "change-email";

async function page(ctx: RequestContext, user: UserRecord, status: number, extra: { email?: string; errors?: FieldErrors; flashes?: Flash[] } = {}) {
  const { url } = sliceOf(ctx.rt.config, changeEmailSlice);
  const flashes = [...takeFlashes(ctx), ...(extra.flashes ?? [])];
  const body = changeEmailPage(ctx, { action: ctx.rt.url(url), csrfToken: await issueCsrfToken(ctx), currentEmail: user.email, ...extra, flashes });
  return htmlResponse(ctx, status, body);
}

export async function getChangeEmail(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const user = caller!.user;
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, user, null, { current_email: user.email }));
  return page(ctx, user, 200);
}

export async function postChangeEmail(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const user = caller!.user;
  const cfg = sliceOf(rt.config, changeEmailSlice);
  const input = await readInput(ctx, { email: text() });

  const fail = async (errors: FieldErrors) => {
    if (ctx.wantsJson) return jsonResponse(ctx, errorStatus(errors), { ...errorPayload(ctx, errors), current_email: user.email });
    return page(ctx, user, 200, { email: input.email ?? "", errors });
  };
  const sent = async (newEmail: string) => {
    if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, user, null, { current_email: user.email }));
    return page(ctx, user, 200, { flashes: [{ category: "success", message: rt.message("CHANGE_EMAIL_SENT", { email: newEmail }) }] });
  };

  const normalized = normalizeEmailAddress(input.email);
  if (!normalized.ok) return fail({ email: [{ code: normalized.code }] });
  const newEmail = normalized.email;
  const veto = await runBeforeHook(ctx, "change_email", user);
  if (veto) return fail(vetoErrors(veto));

  const owner = await rt.datastore.users.findByEmail(newEmail);
  if (owner) {
    await recordAudit(ctx, { event: "change_email_requested", outcome: "failure", user, details: { reason: "EMAIL_ALREADY_ASSOCIATED" } });
    // Generic mode: look exactly like success but send nothing (a mail to the owner would let anyone pester them).
    if (rt.config.returnGenericResponses) return sent(newEmail);
    return fail({ email: [{ code: "EMAIL_ALREADY_ASSOCIATED", params: { email: newEmail } }] });
  }

  const token = signLinkToken(rt, CHANGE_EMAIL_PURPOSE, [user.fsUniquifier, fingerprint(user.email), newEmail]);
  const link = externalUrl(ctx, `${cfg.url}/${token}`);
  const within = humanizeSeconds(cfg.withinSeconds);
  await recordAudit(ctx, { event: "change_email_requested", outcome: "success", user, details: { new_email: newEmail } });
  await rt.events.emit("change_email_instructions_sent", { user, newEmail, token });
  await runAfterHook(ctx, "change_email", user);

  const mails = async () => {
    await deliverMail(ctx, "change_email_instructions", newEmail, { subject: cfg.subject, link, token, within, email: user.email, new_email: newEmail }, user);
    if (cfg.notifyOld) {
      await deliverMail(ctx, "change_email_notice", user.email, { subject: cfg.noticeSubject, email: user.email, new_email: newEmail, within }, user);
    }
  };
  // Generic mode: the answer must not wait for SMTP, or its timing would tell a free address from a taken one.
  await nowOrAfterAnswer(ctx, rt.config.returnGenericResponses, "change_email_instructions", user, mails);
  return sent(newEmail);
}
