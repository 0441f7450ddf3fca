import { recordAudit } from "../../core/audit.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { setFlash, takeFlashes } from "../../core/http/flash.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { readInput, text } from "../../core/input.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { deliverMail } from "../../core/mail-delivery.js";
import type { MessageKey } from "../../core/messages.js";
import { normalizeEmailAddress } from "../../core/policy/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { usernameFeaturesSlice } from "./config.js";
import { recoverUsernamePage } from "./pages.js";

/**
 * GET/POST /recover-username (anonymous only): mails the account's username to its address. Refusals are
 * those of /reset (USER_DOES_NOT_EXIST, DISABLED_ACCOUNT, CONFIRMATION_REQUIRED) — unless generic responses are
 * on (the default): then every well-formed address gets the same 200 `{csrf_token}`, and the after-hook and the
 * mail run after the answer so its timing does not depend on whether an account exists.
 */
async function page(ctx: RequestContext, extra: { email?: string; errors?: FieldErrors } = {}) {
  const { recoveryUrl } = sliceOf(ctx.rt.config, usernameFeaturesSlice);
  const body = recoverUsernamePage(ctx, { action: ctx.rt.url(recoveryUrl), csrfToken: await issueCsrfToken(ctx), flashes: takeFlashes(ctx), ...extra });
  return htmlResponse(ctx, 200, body);
}

export async function getRecoverUsername(ctx: RequestContext): Promise<Response> {
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { csrf_token: await issueCsrfToken(ctx) });
  return page(ctx);
}

/** Why this user may not be sent their username (the /reset rules), or null when they may. */
function refusal(ctx: RequestContext, user: UserRecord | null): MessageKey | null {
  if (!user) return "USER_DOES_NOT_EXIST";
  if (!user.active) return "DISABLED_ACCOUNT";
  if (ctx.rt.services.confirmation?.pending(user)) return "CONFIRMATION_REQUIRED";
  return null;
}

export async function postRecoverUsername(ctx: RequestContext): Promise<Response> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, usernameFeaturesSlice);
  const input = await readInput(ctx, { email: text() });
  const fail = (errors: FieldErrors) => (ctx.wantsJson ? Promise.resolve(formErrorJson(ctx, errors)) : page(ctx, { email: input.email ?? "", errors }));

  const normalized = normalizeEmailAddress(input.email);
  if (!normalized.ok) return fail({ email: [{ code: normalized.code }] });
  const user = await rt.datastore.users.findByEmail(normalized.email);
  const veto = await runBeforeHook(ctx, "recover_username", user);
  if (veto) return fail(vetoErrors(veto));
  const generic = rt.config.returnGenericResponses;
  const refused = refusal(ctx, user);
  if (refused) {
    await recordAudit(ctx, { event: "username_recovery", outcome: "failure", user, identity: normalized.email, details: { reason: refused } });
    if (!generic) return fail({ email: [{ code: refused }] });
  } else {
    const found = user!;
    await recordAudit(ctx, { event: "username_recovery", outcome: "success", user: found, details: { sent: found.username !== null } });
    // What only a real account gets (after-hook, mail) runs after the answer in generic mode (core/deferred.ts).
    await nowOrAfterAnswer(ctx, generic, "username_recovery", found, async () => {
      await runAfterHook(ctx, "recover_username", found);
      if (found.username === null) return;
      const sent = await deliverMail(ctx, "username_recovery", found.email, { subject: cfg.recoverySubject, username: found.username, email: found.email }, found);
      if (sent) await rt.events.emit("username_recovery_email_sent", { user: found });
    });
  }
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { csrf_token: await issueCsrfToken(ctx) });
  setFlash(ctx, "info", rt.message("USERNAME_RECOVERY_REQUEST"));
  return redirectResponse(ctx, rt.url(rt.config.urls.login));
}
