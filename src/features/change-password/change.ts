import { recordAudit } from "../../core/audit.js";
import { issueAuthToken } from "../../core/auth-tokens.js";
import { reauthRequired } from "../../core/access.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { isFresh, type Caller } from "../../core/identity.js";
import { setFlash, takeFlashes } from "../../core/http/flash.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import { readInput, text } from "../../core/input.js";
import { deliverMail } from "../../core/mail-delivery.js";
import { afterCommit } from "../../core/after-commit.js";
import { commitNewPassword } from "../../core/new-password.js";
import { checkNewPassword } from "../../core/policy/password.js";
import { clearSessionCookies, secondFactorProof, startSession } from "../../core/session-cookies.js";
import { normalizePassword } from "../../crypto/passwords/normalize.js";
import { changePasswordSlice } from "./config.js";
import type { ChangeNoticeContext } from "./emails.js";
import { changePage } from "./pages.js";

/**
 * GET/POST /change: a signed-in user sets a new password. The current password is required when the account
 * has one (a wrong one counts as a failed authentication); a password-less account needs a fresh
 * authentication instead (FS code, not its docs). Success stores the new hash with a compare-and-set, rotates
 * both uniquifiers — every other session, remember cookie and auth token dies — and gives the caller's own
 * session a new identifier (remember-me kept). GET never returns an auth token.
 */
export async function getChange(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const me = caller!;
  const { rt } = ctx;
  if (me.user.password === null && !(await isFresh(ctx, me))) return reauthRequired(ctx);
  const csrfToken = await issueCsrfToken(ctx);
  const activePassword = me.user.password !== null;
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { user: await rt.serializeUser(me.user), csrf_token: csrfToken, active_password: activePassword });
  const action = rt.url(sliceOf(rt.config, changePasswordSlice).changeUrl);
  return htmlResponse(ctx, 200, changePage(ctx, { action, csrfToken, activePassword, flashes: takeFlashes(ctx) }));
}

const changeInput = { password: text(), new_password: text(), new_password_confirm: text() };

export async function postChange(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const me = caller!;
  const user = me.user;
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, changePasswordSlice);
  if (user.password === null && !(await isFresh(ctx, me))) return reauthRequired(ctx);
  const input = await readInput(ctx, changeInput);
  const action = rt.url(cfg.changeUrl);
  const fail = async (errors: FieldErrors): Promise<Response> =>
    ctx.wantsJson
      ? formErrorJson(ctx, errors)
      : htmlResponse(ctx, 200, changePage(ctx, { action, csrfToken: await issueCsrfToken(ctx), activePassword: user.password !== null, errors }));

  const current = input.password ?? "";
  const next = input.new_password ?? "";
  const shape: FieldErrors = {};
  if (user.password !== null && !current) shape.password = [{ code: "PASSWORD_NOT_PROVIDED" }];
  if (!next) shape.new_password = [{ code: "PASSWORD_NOT_PROVIDED" }];
  if ((input.new_password_confirm ?? "") !== next) shape.new_password_confirm = [{ code: "RETYPE_PASSWORD_MISMATCH" }];
  if (Object.keys(shape).length) return fail(shape);
  const veto = await runBeforeHook(ctx, "change_password", user);
  if (veto) return fail(vetoErrors(veto));

  if (user.password !== null) {
    const verdict = await rt.hasher.verify(current, user.password);
    if (!verdict.valid) {
      await rt.events.emit("user_failed_authn", { user, identity: user.email, authType: "change", reason: "INVALID_PASSWORD" });
      await recordAudit(ctx, { event: "password_changed", outcome: "failure", user, details: { reason: "INVALID_PASSWORD" } });
      return fail({ password: [{ code: "INVALID_PASSWORD" }] });
    }
    const form = rt.config.password.normalizeForm;
    // On the current-password field, where Flask-Security's ChangePasswordForm puts it.
    if (normalizePassword(current, form) === normalizePassword(next, form)) return fail({ password: [{ code: "PASSWORD_IS_THE_SAME" }] });
  }
  const policy = await checkNewPassword(rt, next, { email: user.email, username: user.username });
  if (policy.length) return fail({ new_password: policy });

  const hash = await rt.hasher.hash(next);
  if (!(await commitNewPassword(rt, user, hash))) {
    // The stored password changed since this request verified it (a concurrent change or reset).
    await recordAudit(ctx, { event: "password_changed", outcome: "failure", user, details: { reason: "CONCURRENT_CHANGE" } });
    return fail({ password: [{ code: "INVALID_PASSWORD" }] });
  }
  // Every session is gone (commitNewPassword); the caller continues in a new one, remember-me kept.
  const now = ctx.now();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (me.mechanism === "session" && me.session) {
    const remember = me.session.remember || ctx.cookie(rt.config.session.rememberCookieName) !== undefined;
    const session = await afterCommit(rt, "the new session", () => startSession(ctx, user, { remember, authnVia: ["change"], authenticatedAt: now, mfaProof: secondFactorProof(me.session) }));
    // Without a new session (the session store is down) the change stands and the caller is signed out.
    if (!session) clearSessionCookies(ctx);
    ctx.sessionOverride = { caller: session ? { ...me, user, session, authenticatedAtSeconds: nowSeconds } : null };
  }
  const authToken = ctx.includeAuthToken() ? await issueAuthToken(rt, user, nowSeconds) : null;
  await afterCommit(rt, "the audit row", () => recordAudit(ctx, { event: "password_changed", outcome: "success", user, details: { by: "self", via: me.mechanism } }));
  await rt.events.emit("password_changed", { user });
  await runAfterHook(ctx, "change_password", user);
  if (cfg.sendPasswordChangeEmail) {
    const context: ChangeNoticeContext = {
      email: user.email,
      subject: cfg.emailSubjectPasswordChangeNotice,
      forgot_url: rt.services.recovery?.forgotUrl(ctx) ?? null,
    };
    await deliverMail(ctx, "change_notice", user.email, context, user);
  }
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, user, authToken));
  setFlash(ctx, "success", rt.message("PASSWORD_CHANGE"));
  return redirectResponse(ctx, cfg.postChangeView ?? rt.config.urls.postLoginView);
}
