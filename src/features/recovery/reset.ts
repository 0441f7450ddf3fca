import { recordAudit } from "../../core/audit.js";
import { interruptResponse } from "../../core/http/interrupt.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { autoSignInVetoed, runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import type { Caller } from "../../core/identity.js";
import { setFlash } from "../../core/http/flash.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { spaMode, spaRedirect } from "../../core/http/spa.js";
import { userPayload } from "../../core/http/user-payload.js";
import { humanizeSeconds } from "../../core/humanize.js";
import { readInput, text } from "../../core/input.js";
import { deliverMail } from "../../core/mail-delivery.js";
import { afterProof, stripUnprovedCredentials } from "../../core/mailbox-proof.js";
import { afterCommit } from "../../core/after-commit.js";
import { commitNewPassword } from "../../core/new-password.js";
import { checkNewPassword } from "../../core/policy/password.js";
import { clearSessionCookies } from "../../core/session-cookies.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { recoverySlice, type RecoveryConfig } from "./config.js";
import { signInMethodsLeft, type ResetNoticeContext } from "./emails.js";
import { resetPage } from "./pages.js";
import { checkResetToken } from "./token.js";

/**
 * GET/POST /reset/<token>: the emailed link. GET shows the new-password form (SPA mode: redirects to RESET_VIEW
 * with the token); POST sets the password. Consuming a link is atomic: the new hash is stored only if the stored
 * one is still the hash the link was made for, so of any number of concurrent submissions exactly one succeeds.
 * Success rotates both uniquifiers (every session, remember cookie, token and other reset link dies) and, unless
 * AUTO_LOGIN_AFTER_RESET, signs nobody in: JSON `{}` without csrf_token.
 */
type Cfg = Readonly<RecoveryConfig>;
type LinkProblem = "INVALID_RESET_PASSWORD_TOKEN" | "PASSWORD_RESET_EXPIRED";

function problemRef(cfg: Cfg, code: LinkProblem) {
  return code === "PASSWORD_RESET_EXPIRED" ? { code, params: { within: humanizeSeconds(cfg.resetPasswordWithinSeconds) } } : { code };
}

/** A link that does not work: back to the forgot-password form with a flash, or RESET_ERROR_VIEW?error= in SPA mode. */
function linkRefused(ctx: RequestContext, cfg: Cfg, code: LinkProblem): Response {
  const ref = problemRef(cfg, code);
  const text = ctx.rt.message(ref.code, ref.params);
  if (spaMode(ctx) && cfg.resetErrorView) return spaRedirect(ctx, cfg.resetErrorView, { error: text });
  setFlash(ctx, "error", text);
  return redirectResponse(ctx, ctx.rt.url(cfg.resetUrl));
}

async function auditRefusal(ctx: RequestContext, user: UserRecord | null, reason: string): Promise<void> {
  await recordAudit(ctx, { event: "password_reset", outcome: "failure", user, details: { reason } });
}

export async function getReset(ctx: RequestContext, token: string): Promise<Response> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, recoverySlice);
  const check = await checkResetToken(rt, cfg, token);
  if (!check.ok) {
    await auditRefusal(ctx, check.user, check.code);
    return linkRefused(ctx, cfg, check.code);
  }
  // SPA: the token goes to the UI route, never the identity (FS 5.3).
  if (spaMode(ctx) && cfg.resetView) return spaRedirect(ctx, cfg.resetView, { token });
  const action = rt.url(`${cfg.resetUrl}/${token}`);
  return htmlResponse(ctx, 200, resetPage(ctx, { action, csrfToken: await issueCsrfToken(ctx), confirmRequired: cfg.passwordConfirmRequired }));
}

export async function postReset(ctx: RequestContext, caller: Caller | null, token: string): Promise<Response> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, recoverySlice);
  const input = await readInput(ctx, { password: text(), password_confirm: text() });
  const refused = async (user: UserRecord | null, code: LinkProblem, reason: string = code): Promise<Response> => {
    await auditRefusal(ctx, user, reason);
    return ctx.wantsJson ? formErrorJson(ctx, { "": [problemRef(cfg, code)] }) : linkRefused(ctx, cfg, code);
  };
  const check = await checkResetToken(rt, cfg, token);
  if (!check.ok) return refused(check.user, check.code);
  const user = check.user;

  const action = rt.url(`${cfg.resetUrl}/${token}`);
  const fail = async (errors: FieldErrors): Promise<Response> =>
    ctx.wantsJson
      ? formErrorJson(ctx, errors)
      : htmlResponse(ctx, 200, resetPage(ctx, { action, csrfToken: await issueCsrfToken(ctx), confirmRequired: cfg.passwordConfirmRequired, errors }));

  const veto = await runBeforeHook(ctx, "reset_password", user);
  if (veto) return fail(vetoErrors(veto));
  const password = input.password ?? "";
  const errors: FieldErrors = {};
  if (!password) errors.password = [{ code: "PASSWORD_NOT_PROVIDED" }];
  else {
    const policy = await checkNewPassword(rt, password, { email: user.email, username: user.username });
    if (policy.length) errors.password = policy;
  }
  if (cfg.passwordConfirmRequired && (input.password_confirm ?? "") !== password) errors.password_confirm = [{ code: "RETYPE_PASSWORD_MISMATCH" }];
  if (Object.keys(errors).length) return fail(errors);

  const hash = await rt.hasher.hash(password);
  // The link proves the mailbox: for a never-confirmed account, whatever predates it goes with the old password
  // (in the same transaction as the new password). The new password is the link holder's and stays.
  const keep = { password: true, rotate: true };
  let proved = false;
  const at = ctx.now();
  const before = { ...user };
  const prove = user.confirmedAt ? undefined : async (tx: Parameters<typeof stripUnprovedCredentials>[0]) => (proved = await stripUnprovedCredentials(tx, before, at, keep));
  // Compare-and-set on the hash the link was checked against: a used or raced link changes nothing.
  if (!(await commitNewPassword(rt, user, hash, prove))) return refused(user, "INVALID_RESET_PASSWORD_TOKEN", "already_used");
  // Committed: from here on nothing may turn the success into an error answer.
  if (proved) await afterCommit(rt, "the mailbox proof's clean-up", () => afterProof(ctx, user, "reset", keep));
  const current = (await afterCommit(rt, "re-reading the user", () => rt.datastore.users.findById(user.id))) ?? user;
  if (caller?.user.id === user.id) {
    clearSessionCookies(ctx);
    ctx.sessionOverride = { caller: null };
  }
  await afterCommit(rt, "the audit row", () => recordAudit(ctx, { event: "password_reset", outcome: "success", user }));
  await afterCommit(rt, "the event and the after-hook", async () => {
    await rt.events.emit("password_reset", { user });
    await runAfterHook(ctx, "reset_password", user);
  });
  if (cfg.sendPasswordResetNoticeEmail) {
    const context: ResetNoticeContext = { email: user.email, subject: cfg.emailSubjectPasswordNotice, methods: signInMethodsLeft(rt, current) };
    await afterCommit(rt, "the reset notice", () => deliverMail(ctx, "reset_notice", user.email, context, user));
  }
  if (cfg.autoLoginAfterReset && (await afterCommit(rt, "the before.login hook", () => autoSignInVetoed(ctx, current))) === false) {
    return autoLogin(ctx, cfg, current);
  }
  return notSignedIn(ctx, cfg);
}

function notSignedIn(ctx: RequestContext, cfg: Cfg): Response {
  if (ctx.wantsJson) return jsonResponse(ctx, 200, {});
  setFlash(ctx, "success", ctx.rt.message("PASSWORD_RESET_NO_LOGIN"));
  return redirectResponse(ctx, cfg.postResetView ?? ctx.rt.url(ctx.rt.config.urls.login));
}

/** AUTO_LOGIN_AFTER_RESET: through the one sign-in pipeline, so its checks (and a second factor) still apply. */
async function autoLogin(ctx: RequestContext, cfg: Cfg, user: UserRecord): Promise<Response> {
  const { rt } = ctx;
  const result = await afterCommit(rt, "the sign-in", () => rt.pipeline.signIn(ctx, { user, authnVia: ["reset"], remember: false, kind: "session", includeAuthToken: ctx.includeAuthToken() }));
  // The password is already changed; a denying check (or a session store that is down) only means nobody is
  // signed in.
  if (!result || result.kind === "deny") return notSignedIn(ctx, cfg);
  if (result.kind === "interrupt") return interruptResponse(ctx, result);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, user, result.authToken, { tf_required: false }));
  setFlash(ctx, "success", rt.message("PASSWORD_RESET"));
  return redirectResponse(ctx, cfg.postResetView ?? rt.config.urls.postLoginView);
}
