import { recordAudit } from "../../core/audit.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { runAfterHook, runBeforeHook } from "../../core/hooks.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import { setFlash } from "../../core/http/flash.js";
import { spaLocation, spaMode } from "../../kit/http/spa.js";
import { fingerprint, verifyLinkToken } from "../../kit/link-tokens.js";
import { defineRoute } from "../../core/define-route.js";
import { redirect, type Redirect } from "../../core/outcome.js";
import { DuplicateError, type UserRecord } from "../../datastore/contracts.js";
import { changeEmailSlice } from "./config.js";
import { CHANGE_EMAIL_PURPOSE } from "./change-email.js";

/**
 * GET /change-email/<token>: the link mailed to the new address. Always answers with a redirect (FS): to
 * POST_CHANGE_EMAIL_VIEW (else POST_LOGIN_VIEW) on success, to CHANGE_EMAIL_ERROR_VIEW (else the change-email
 * page) on failure, with a flash — or, in SPA mode, with the outcome in the query string.
 *
 * The link works once: it carries a fingerprint of the address it replaces, which no longer matches after the
 * change. The change is one compare-and-set statement on the old address, so of concurrent clicks exactly one
 * changes it. An address registered by someone else since the link was mailed
 * makes it fail (API_ERROR), leaving everything as it was.
 */
type Confirmation =
  | { ok: true; user: UserRecord; oldEmail: string }
  | { ok: false; code: "API_ERROR" | "CHANGE_EMAIL_EXPIRED"; reason: string; user?: UserRecord; text?: string };

export const changeEmailConfirmRoute = (path: string) =>
  defineRoute({
    id: "change-email.confirm",
    summary: "The emailed link: makes the change and redirects (with the outcome in the query string in SPA mode).",
    method: "GET",
    path,
    auth: "any",
    handle: async (ctx, { params }) => answer(ctx, await confirm(ctx, params.token ?? "")),
  });

/** The same redirect for every caller; the flash (or, in SPA mode, the query string) says what happened. */
async function answer(ctx: RequestContext, outcome: Confirmation): Promise<Redirect> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, changeEmailSlice);
  if (!outcome.ok) {
    await recordAudit(ctx, {
      event: "change_email_confirmed",
      outcome: "failure",
      user: outcome.user ?? null,
      details: { reason: outcome.reason },
    });
    const message =
      outcome.text ??
      (outcome.code === "CHANGE_EMAIL_EXPIRED"
        ? rt.message(outcome.code, { within: humanizeSeconds(cfg.withinSeconds) })
        : rt.message(outcome.code));
    if (spaMode(ctx) && cfg.changeEmailErrorView)
      return redirect(spaLocation(ctx, cfg.changeEmailErrorView, { error: message }));
    setFlash(ctx, "error", message);
    return redirect(cfg.changeEmailErrorView ?? rt.url(cfg.url));
  }
  const { user, oldEmail } = outcome;
  await recordAudit(ctx, {
    event: "change_email_confirmed",
    outcome: "success",
    user,
    details: { old_email: oldEmail },
  });
  await rt.events.emit("change_email_confirmed", { user, oldEmail });
  await runAfterHook(ctx, "change_email_confirm", user);
  const message = rt.message("CHANGE_EMAIL_CONFIRMED");
  const view = cfg.postChangeEmailView ?? rt.config.urls.postLoginView;
  if (spaMode(ctx))
    return redirect(
      spaLocation(ctx, view, { email: user.email, identity: user.username ?? user.email, success: message }),
    );
  setFlash(ctx, "success", message);
  return redirect(view);
}

async function confirm(ctx: RequestContext, token: string): Promise<Confirmation> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, changeEmailSlice);
  const checked = verifyLinkToken(rt, CHANGE_EMAIL_PURPOSE, token, cfg.withinSeconds);
  if (!checked.ok)
    return {
      ok: false,
      code: checked.reason === "expired" ? "CHANGE_EMAIL_EXPIRED" : "API_ERROR",
      reason: checked.reason,
    };
  const [uniquifier, emailPrint, newEmail] = checked.data;
  if (checked.data.length !== 3 || !uniquifier || !emailPrint || !newEmail)
    return { ok: false, code: "API_ERROR", reason: "invalid" };
  const user = await rt.datastore.users.findByUniquifier(uniquifier);
  if (!user || !user.active) return { ok: false, code: "API_ERROR", reason: "unknown-user" };
  if (fingerprint(user.email) !== emailPrint) return { ok: false, code: "API_ERROR", reason: "email-changed", user };
  if (await rt.datastore.users.findByEmail(newEmail))
    return { ok: false, code: "API_ERROR", reason: "email-taken", user };
  const veto = await runBeforeHook(ctx, "change_email_confirm", user);
  if (veto) return { ok: false, code: "API_ERROR", reason: "vetoed", user, text: veto.message };

  const oldEmail = user.email;
  try {
    // One compare-and-set statement: of concurrent clicks exactly one replaces the address it was made for.
    const now = ctx.now();
    const swapped = await rt.datastore.users.replaceEmail(
      user.id,
      { fsUniquifier: uniquifier, email: oldEmail },
      newEmail,
      now,
    );
    if (!swapped) return { ok: false, code: "API_ERROR", reason: "already-used", user };
    return { ok: true, user: { ...user, email: newEmail, confirmedAt: now }, oldEmail };
  } catch (error) {
    if (error instanceof DuplicateError) return { ok: false, code: "API_ERROR", reason: "email-taken", user };
    throw error;
  }
}
