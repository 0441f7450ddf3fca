import { z } from "zod";
import { recordAudit, requestAudit } from "../../core/audit.js";
import { forgetFailures } from "../../core/lockout/lockout.js";
import { completeSignIn, hookVeto, type SignedInPayload } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { autoSignInVetoed, runAfterHook } from "../../core/hooks.js";
import type { Caller } from "../../core/identity.js";
import { setFlash } from "../../core/http/flash.js";
import type { FieldErrors, MessageRef } from "../../core/http/respond.js";
import { spaMode, spaRedirectTo } from "../../kit/http/spa.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import { text } from "../../core/input.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { afterProof, stripUnprovedCredentials, type Proof, type ProofTx } from "../../core/mailbox-proof.js";
import { afterCommit } from "../../core/after-commit.js";
import { commitNewPassword } from "../../core/new-password.js";
import { formErrors, ok, redirect, type Outcome, type Redirect, type Refused } from "../../core/outcome.js";
import { checkNewPassword } from "../../core/policy/password.js";
import type { PageProps } from "../../core/render.js";
import { formPayload, signedIn } from "../../kit/schemas.js";
import { forgetEndedSession } from "../../core/session-writer.js";
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

function problemRef(cfg: Cfg, code: LinkProblem): MessageRef {
  return code === "PASSWORD_RESET_EXPIRED"
    ? { code, params: { within: humanizeSeconds(cfg.resetPasswordWithinSeconds) } }
    : { code };
}

/** Where a browser goes for a link that does not work: RESET_ERROR_VIEW?error= in SPA mode, else the forgot-password form. */
function refusedLocation(ctx: RequestContext, cfg: Cfg, text: string): string | null {
  return spaMode(ctx) && cfg.resetErrorView ? spaRedirectTo(ctx, cfg.resetErrorView, { error: text }).location : null;
}

/** GET of a link that does not work: the same redirect for every caller (FS), with a flash for the form. */
function linkRefused(ctx: RequestContext, cfg: Cfg, code: LinkProblem): Redirect {
  const ref = problemRef(cfg, code);
  const text = ctx.rt.message(ref.code, ref.params);
  const spa = refusedLocation(ctx, cfg, text);
  if (spa) return redirect(spa);
  setFlash(ctx, "error", text);
  return redirect(ctx.rt.url(cfg.resetUrl));
}

/** POST of a link that does not work: a form-level error for API callers; browsers go as on GET. */
function postRefused(ctx: RequestContext, cfg: Cfg, code: LinkProblem): Refused {
  const ref = problemRef(cfg, code);
  const text = ctx.rt.message(ref.code, ref.params);
  const spa = refusedLocation(ctx, cfg, text);
  const browser = spa
    ? { redirect: spa }
    : { redirect: ctx.rt.url(cfg.resetUrl), flash: { category: "error" as const, message: text } };
  return { kind: "refused", refs: [ref], status: 400, extra: { field_errors: { "": [text] } }, browser };
}

async function auditRefusal(ctx: RequestContext, user: UserRecord | null, reason: string): Promise<void> {
  await recordAudit(ctx, { event: "password_reset", outcome: "failure", user, details: { reason } });
}

interface ResetView {
  action: string;
}

function page(ctx: RequestContext, props: PageProps<unknown, ResetView>): string {
  const cfg = sliceOf(ctx.rt.config, recoverySlice);
  // The link's own path (a form refused before the handler ran has no view: the path it was posted to).
  const action = props.view?.action ?? ctx.url.pathname;
  return resetPage(ctx, {
    action,
    csrfToken: props.csrfToken,
    confirmRequired: cfg.passwordConfirmRequired,
    errors: props.errors,
  });
}

export const getResetRoute = (path: string) =>
  defineRoute({
    id: "reset.link",
    summary:
      "The emailed reset link: the new-password form (a CSRF token for API callers; SPA mode redirects to RESET_VIEW).",
    method: "GET",
    path,
    auth: "any",
    output: formPayload,
    page,
    async handle(ctx, { params }) {
      const { rt } = ctx;
      const cfg = sliceOf(rt.config, recoverySlice);
      const token = params.token ?? "";
      const check = await checkResetToken(rt, cfg, token);
      if (!check.ok) {
        await auditRefusal(ctx, check.user, check.code);
        return linkRefused(ctx, cfg, check.code);
      }
      // SPA: the token goes to the UI route, never the identity (FS 5.3).
      if (spaMode(ctx) && cfg.resetView) return spaRedirectTo(ctx, cfg.resetView, { token });
      return ok({}, { csrf: true, browser: { view: { action: rt.url(`${cfg.resetUrl}/${token}`) } } });
    },
  });

/** `{}` (nobody signed in), or with AUTO_LOGIN_AFTER_RESET the signed-in answer (user, csrf_token, tf_required). */
const resetDone = signedIn
  .partial()
  .describe("Empty unless AUTO_LOGIN_AFTER_RESET signed the user in: then the user, a CSRF token and tf_required.");

export const postResetRoute = (path: string) =>
  defineRoute({
    id: "reset.link.post",
    summary: "Set a new password with the emailed link (signs in only with AUTO_LOGIN_AFTER_RESET).",
    method: "POST",
    path,
    auth: "any",
    limits: ["send"],
    input: z.object({ password: text(), password_confirm: text() }),
    output: resetDone,
    page,
    handle: (ctx, { input, caller, params }) => reset(ctx, caller, params.token ?? "", input),
  });

async function reset(
  ctx: RequestContext,
  caller: Caller | null,
  token: string,
  input: { password?: string; password_confirm?: string },
): Promise<Outcome<SignedInPayload | Record<string, never>, ResetView>> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, recoverySlice);
  const refused = async (user: UserRecord | null, code: LinkProblem, reason: string = code) => {
    await auditRefusal(ctx, user, reason);
    return postRefused(ctx, cfg, code);
  };
  const check = await checkResetToken(rt, cfg, token);
  if (!check.ok) return refused(check.user, check.code);
  const user = check.user;
  const view: ResetView = { action: rt.url(`${cfg.resetUrl}/${token}`) };

  const veto = await hookVeto(ctx, "reset_password", user, view);
  if (veto) return veto;
  const password = input.password ?? "";
  const errors: FieldErrors = {};
  if (!password) errors.password = [{ code: "PASSWORD_NOT_PROVIDED" }];
  else {
    const policy = await checkNewPassword(rt, password, { email: user.email, username: user.username });
    if (policy.length) errors.password = policy;
  }
  if (cfg.passwordConfirmRequired && (input.password_confirm ?? "") !== password)
    errors.password_confirm = [{ code: "RETYPE_PASSWORD_MISMATCH" }];
  if (Object.keys(errors).length) return formErrors(errors, { view });

  const hash = await rt.hasher.hash(password);
  // The link proves the mailbox: for a never-confirmed account, whatever predates it goes with the old password
  // (in the same transaction as the new password). The new password is the link holder's and stays.
  const keep = { password: true, rotate: true };
  let proof: Proof | null = null;
  const at = ctx.now();
  const before = { ...user };
  const prove = user.confirmedAt
    ? undefined
    : async (tx: ProofTx) => {
        proof = await stripUnprovedCredentials(ctx, tx, before, at, keep);
        return proof !== null;
      };
  // Compare-and-set on the hash the link was checked against: a used or raced link changes nothing.
  if (!(await commitNewPassword(rt, user, hash, prove)))
    return refused(user, "INVALID_RESET_PASSWORD_TOKEN", "already_used");
  // Committed: from here on nothing may turn the success into an error answer.
  const proved: Proof | null = proof;
  if (proved) await afterCommit(rt, "the mailbox proof's clean-up", () => afterProof(ctx, user, "reset", keep, proved));
  const current = (await afterCommit(rt, "re-reading the user", () => rt.datastore.users.findById(user.id))) ?? user;
  // The caller's own session died with the old password.
  if (caller?.user.id === user.id) forgetEndedSession(ctx);
  await afterCommit(rt, "the audit row", () => recordAudit(ctx, { event: "password_reset", outcome: "success", user }));
  await afterCommit(rt, "the refresh token revocation", async () =>
    rt.services.tokenFamilies?.revokeForUser(rt, user, "password_reset", { audit: requestAudit(ctx) }),
  );
  // A completed reset ends a lockout: the link is high entropy and proved the mailbox; the guesses were at the
  // old password.
  await afterCommit(rt, "the unlock", () => forgetFailures(rt, user, { audit: requestAudit(ctx), via: "password" }));
  await afterCommit(rt, "the event and the after-hook", async () => {
    await rt.events.emit("password_reset", { user });
    await runAfterHook(ctx, "reset_password", user);
  });
  if (cfg.sendPasswordResetNoticeEmail) {
    const context: ResetNoticeContext = {
      email: user.email,
      subject: cfg.emailSubjectPasswordNotice,
      methods: signInMethodsLeft(rt, current),
    };
    await afterCommit(rt, "the reset notice", () => deliverMail(ctx, "reset_notice", user.email, context, user));
  }
  if (
    cfg.autoLoginAfterReset &&
    (await afterCommit(rt, "the before.login hook", () => autoSignInVetoed(ctx, current))) === false
  ) {
    return autoLogin(ctx, cfg, current);
  }
  return notSignedIn(ctx, cfg);
}

/** Done, nobody signed in: `{}` (no csrf_token); browsers go to sign in with the new password. */
function notSignedIn(ctx: RequestContext, cfg: Cfg): Outcome<Record<string, never>, never> {
  const flash = { category: "success" as const, message: ctx.rt.message("PASSWORD_RESET_NO_LOGIN") };
  return ok({}, { browser: { redirect: cfg.postResetView ?? ctx.rt.url(ctx.rt.config.urls.login), flash } });
}

/** AUTO_LOGIN_AFTER_RESET: through the one sign-in pipeline, so its checks (and a second factor) still apply. */
async function autoLogin(
  ctx: RequestContext,
  cfg: Cfg,
  user: UserRecord,
): Promise<Outcome<SignedInPayload | Record<string, never>, never>> {
  const { rt } = ctx;
  const result = await afterCommit(rt, "the sign-in", () =>
    rt.pipeline.signIn(ctx, {
      user,
      authnVia: ["reset"],
      remember: false,
      kind: "session",
      includeAuthToken: ctx.includeAuthToken(),
    }),
  );
  // The password is already changed; a denying check (or a session store that is down) only means nobody is
  // signed in.
  if (!result || result.kind === "deny") return notSignedIn(ctx, cfg);
  // Signed in: the answer /login gives (after.login runs, as before.login did), browsers with a flash.
  const done = await completeSignIn(ctx, result, {
    action: "login",
    next: cfg.postResetView ?? rt.config.urls.postLoginView,
    extra: { tf_required: false },
  });
  if (done.kind === "ok" && done.browser && "redirect" in done.browser)
    done.browser = { ...done.browser, flash: { category: "success", message: rt.message("PASSWORD_RESET") } };
  return done;
}
