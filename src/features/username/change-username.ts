import { recordAudit } from "../../core/audit.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { setFlash, takeFlashes } from "../../core/http/flash.js";
import { errorPayload, errorStatus, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import type { Caller } from "../../core/identity.js";
import { readInput, text } from "../../core/input.js";
import { deliverMail } from "../../core/mail-delivery.js";
import { checkUsername } from "../../core/policy/index.js";
import { DuplicateError, type UserRecord } from "../../datastore/contracts.js";
import { usernameFeaturesSlice } from "./config.js";
import { changeUsernamePage } from "./pages.js";

/**
 * GET/POST /change-username (fresh authentication required). The new username goes through the same rules as
 * at registration (FS UsernameUtil: no HTML-special characters, letters and numbers only, NFKD, length) and
 * must be free, compared case-insensitively (the unique canonical column settles races). An empty value clears
 * the username when usernames are optional. The account's address gets a notice (SEND_USERNAME_CHANGE_EMAIL).
 */
async function page(ctx: RequestContext, user: UserRecord, extra: { username?: string; errors?: FieldErrors } = {}) {
  const { changeUsernameUrl } = sliceOf(ctx.rt.config, usernameFeaturesSlice);
  const body = changeUsernamePage(ctx, {
    action: ctx.rt.url(changeUsernameUrl),
    csrfToken: await issueCsrfToken(ctx),
    currentUsername: user.username,
    flashes: takeFlashes(ctx),
    ...extra,
  });
  return htmlResponse(ctx, 200, body);
}

export async function getChangeUsername(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const user = caller!.user;
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, user, null, { current_username: user.username }));
  return page(ctx, user);
}

export async function postChangeUsername(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const user = caller!.user;
  const cfg = sliceOf(rt.config, usernameFeaturesSlice);
  const input = await readInput(ctx, { username: text() });
  const fail = (errors: FieldErrors) =>
    ctx.wantsJson ? Promise.resolve(jsonResponse(ctx, errorStatus(errors), { ...errorPayload(ctx, errors), current_username: user.username })) : page(ctx, user, { username: input.username ?? "", errors });

  let next: string | null;
  if (input.username === "" && !rt.config.username.required) {
    next = null;
  } else {
    const checked = checkUsername(rt.config.username, input.username);
    if (!checked.ok) return fail({ username: [checked.ref] });
    next = checked.username;
  }
  const taken = () => fail({ username: [{ code: "USERNAME_ALREADY_ASSOCIATED", params: { username: next ?? "" } }] });
  if (next === null && user.username === null) return fail({ username: [{ code: "USERNAME_NOT_PROVIDED" }] });
  if (next !== null && (await rt.datastore.users.findByUsername(next))) return taken();
  const veto = await runBeforeHook(ctx, "change_username", user);
  if (veto) return fail(vetoErrors(veto));

  const oldUsername = user.username;
  try {
    await rt.datastore.users.update(user.id, { username: next });
  } catch (error) {
    if (error instanceof DuplicateError && error.field === "username") return taken();
    throw error;
  }
  const changed: UserRecord = { ...user, username: next };
  await recordAudit(ctx, { event: "username_changed", outcome: "success", user: changed, details: { old_username: oldUsername, username: next } });
  if (cfg.sendUsernameChangeEmail) {
    await deliverMail(ctx, "change_username_notice", changed.email, { subject: cfg.changeNoticeSubject, username: next, email: changed.email }, changed);
  }
  await rt.events.emit("username_changed", { user: changed, oldUsername });
  await runAfterHook(ctx, "change_username", changed);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, changed, null));
  setFlash(ctx, "success", rt.message("USERNAME_CHANGE"));
  return redirectResponse(ctx, cfg.postChangeUsernameView ?? rt.config.urls.postLoginView);
}
