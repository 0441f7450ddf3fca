import { recordAudit } from "../../core/audit.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { afterCommit } from "../../core/after-commit.js";
import { autoSignInVetoed, runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { setFlash, takeFlashes } from "../../core/http/flash.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { linkLanding, linkSignsInOnGet } from "../../core/http/link-landing.js";
import { spaMode, spaRedirect } from "../../core/http/spa.js";
import { humanizeSeconds } from "../../core/humanize.js";
import { readInput, text } from "../../core/input.js";
import { fingerprint, verifyLinkToken } from "../../core/link-tokens.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { deliverMail } from "../../core/mail-delivery.js";
import { proveMailbox } from "../../core/mailbox-proof.js";
import { normalizeEmailAddress } from "../../core/policy/index.js";
import type { Runtime } from "../../core/runtime.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { confirmationSlice } from "./config.js";
import { confirmationLink } from "./links.js";
import { confirmPage } from "./pages.js";

/**
 * GET/POST /confirm: ask for new confirmation instructions. GET/POST /confirm/<token>: the emailed link,
 * always answered with a redirect (a page with a flash message, or the SPA's views with query parameters).
 * Confirming never signs anyone in unless AUTO_LOGIN_AFTER_CONFIRM, and then only through the pipeline.
 */
export async function getConfirm(ctx: RequestContext): Promise<Response> {
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { csrf_token: csrfToken });
  return htmlResponse(ctx, 200, confirmPage(ctx, { action: ctx.rt.url(sliceOf(ctx.rt.config, confirmationSlice).url), csrfToken, flashes: takeFlashes(ctx) }));
}

export async function postConfirm(ctx: RequestContext): Promise<Response> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, confirmationSlice);
  const input = await readInput(ctx, { email: text() });
  const action = rt.url(cfg.url);
  const fail = async (errors: FieldErrors): Promise<Response> =>
    ctx.wantsJson ? formErrorJson(ctx, errors) : htmlResponse(ctx, 200, confirmPage(ctx, { action, csrfToken: await issueCsrfToken(ctx), email: input.email ?? "", errors }));

  const normalized = normalizeEmailAddress(input.email);
  if (!normalized.ok) return fail({ email: [{ code: normalized.code }] });
  const email = normalized.email;
  const user = await rt.datastore.users.findByEmail(email);
  const veto = await runBeforeHook(ctx, "send_confirmation", user);
  if (veto) return fail(vetoErrors(veto));

  const generic = rt.config.returnGenericResponses;
  if (!user || user.confirmedAt) {
    const reason = user ? "ALREADY_CONFIRMED" : "USER_DOES_NOT_EXIST";
    await recordAudit(ctx, { event: "confirm_instructions", outcome: "failure", user, identity: email, details: { reason } });
    if (!generic) return fail({ email: [{ code: reason }] });
  } else {
    await recordAudit(ctx, { event: "confirm_instructions", outcome: "success", user });
    // With generic responses, what only a real unconfirmed account gets (link, event, mail, after-hook) runs after
    // the answer: its timing must not tell known addresses from unknown ones.
    await nowOrAfterAnswer(ctx, generic, "confirmation_instructions", user, async () => {
      const link = confirmationLink(ctx, user);
      await rt.events.emit("confirm_instructions_sent", { user, token: link.token });
      await deliverMail(
        ctx,
        "confirmation_instructions",
        user.email,
        { user, email: user.email, confirmation_link: link.url, confirmation_token: link.token, within: humanizeSeconds(cfg.withinSeconds), subject: cfg.emailSubject },
        user,
      );
      await runAfterHook(ctx, "send_confirmation", user);
    });
  }
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { csrf_token: csrfToken });
  const flashes = [{ category: "info" as const, message: rt.message("CONFIRMATION_REQUEST", { email }) }];
  return htmlResponse(ctx, 200, confirmPage(ctx, { action, csrfToken, flashes }));
}

type Outcome =
  | { kind: "confirmed"; user: UserRecord; signedIn: boolean; secondFactorPage?: string }
  | { kind: "already"; user: UserRecord }
  | { kind: "error"; reason: "invalid" | "expired" | "vetoed"; text: string; user: UserRecord | null };

/**
 * GET of the emailed link. With AUTO_LOGIN_AFTER_CONFIRM a link that would confirm (and so sign in) is not used
 * by the GET unless `urls.signInLinksOnGet`: the page's button (or the SPA) POSTs it (core/http/link-landing.ts).
 */
export async function getConfirmToken(ctx: RequestContext, params: Record<string, string>): Promise<Response> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, confirmationSlice);
  const token = params.token ?? "";
  if (cfg.autoLoginAfterConfirm && !linkSignsInOnGet(ctx) && (await wouldConfirm(rt, token, cfg.withinSeconds))) {
    return linkLanding(ctx, {
      title: "Confirm your email address",
      text: `Confirm your email address and sign in to ${rt.config.appName}.`,
      submit: "Confirm and sign in",
      action: rt.url(`${cfg.url}/${encodeURIComponent(token)}`),
      fields: { token },
      spaView: cfg.linkView,
    });
  }
  return answer(ctx, await confirmByToken(ctx, params.token));
}

/** POST of the link (its landing page, an SPA, or a client that POSTs like FS allows). */
export async function postConfirmToken(ctx: RequestContext, params: Record<string, string>): Promise<Response> {
  return answer(ctx, await confirmByToken(ctx, params.token));
}

/** True when the link is valid, unexpired, and its account is still unconfirmed (reads only). */
async function wouldConfirm(rt: Runtime, token: string, withinSeconds: number): Promise<boolean> {
  const check = verifyLinkToken(rt, "confirm", token, withinSeconds);
  const user = check.ok ? await linkUser(rt, check.data) : null;
  return user !== null && user.confirmedAt === null;
}

async function confirmByToken(ctx: RequestContext, token: string | undefined): Promise<Outcome> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, confirmationSlice);
  let check = verifyLinkToken(rt, "confirm", token, cfg.withinSeconds);
  const expired = !check.ok && check.reason === "expired";
  // An expired link still names its user (the signature is good): FS reports "already confirmed" for them.
  if (expired) check = verifyLinkToken(rt, "confirm", token, Number.MAX_SAFE_INTEGER);
  let user = check.ok ? await linkUser(rt, check.data) : null;
  const failure = async (reason: "invalid" | "expired" | "already_confirmed" | "vetoed", u: UserRecord | null) =>
    recordAudit(ctx, { event: "confirm", outcome: "failure", user: u, details: { reason } });

  if (!user) {
    await failure("invalid", null);
    return { kind: "error", reason: "invalid", text: rt.message("INVALID_CONFIRMATION_TOKEN"), user: null };
  }
  if (user.confirmedAt) {
    await failure("already_confirmed", user);
    return { kind: "already", user };
  }
  if (expired) {
    await failure("expired", user);
    // FS 5.3+: no new mail is sent and the redirect carries no identity (the flash may name the address).
    const within = humanizeSeconds(cfg.withinSeconds);
    const email = spaMode(ctx) ? "your email address" : user.email;
    return { kind: "error", reason: "expired", text: rt.message("CONFIRMATION_EXPIRED", { within, email }), user };
  }
  const veto = await runBeforeHook(ctx, "confirm", user);
  if (veto) {
    await failure("vetoed", user);
    return { kind: "error", reason: "vetoed", text: veto.message, user };
  }
  // The link proves the mailbox: what predates it goes (sessions, remember cookies, tokens, other sign-in
  // methods); the password stays — it is the registrant's, and confirming accepts the registration.
  const proof = await proveMailbox(ctx, user, "confirm", { password: true, rotate: cfg.loginWithoutConfirmation });
  if (!proof.proved) {
    await failure("already_confirmed", user);
    return { kind: "already", user };
  }
  user = proof.user;
  const confirmed = user;
  // Committed: from here on nothing may turn the success into an error answer.
  await afterCommit(rt, "the confirmation's audit row, event and after-hook", async () => {
    await recordAudit(ctx, { event: "confirm", outcome: "success", user: confirmed });
    await rt.events.emit("user_confirmed", { user: confirmed });
    await runAfterHook(ctx, "confirm", confirmed);
  });
  if (cfg.autoLoginAfterConfirm && (await afterCommit(rt, "the before.login hook", () => autoSignInVetoed(ctx, confirmed))) === false) {
    // A GET never hands out an auth token; every sign-in check (active, lockout, two-factor…) still applies.
    const result = await afterCommit(rt, "the sign-in after confirmation", () =>
      rt.pipeline.signIn(ctx, { user: confirmed, authnVia: ["confirm"], remember: false, kind: "session", includeAuthToken: false }),
    );
    // A second factor is still needed: the browser continues there (its pending state is set), as in FS.
    const next = result?.kind === "interrupt" && typeof result.response.redirect === "string" ? result.response.redirect : undefined;
    return { kind: "confirmed", user, signedIn: result?.kind === "signed-in", ...(next ? { secondFactorPage: next } : {}) };
  }
  return { kind: "confirmed", user, signedIn: false };
}

/** The user a link was made for, if its uniquifier and email are still the same. */
async function linkUser(rt: Runtime, data: string[]): Promise<UserRecord | null> {
  if (data.length !== 2) return null;
  const user = await rt.datastore.users.findByUniquifier(data[0]!);
  return user && fingerprint(user.email) === data[1] ? user : null;
}

function answer(ctx: RequestContext, outcome: Outcome): Response {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, confirmationSlice);
  const loginPage = rt.url(rt.config.urls.login);
  const errorView = cfg.confirmErrorView ?? rt.url(cfg.url);
  if (outcome.kind === "confirmed") {
    const text = rt.message("EMAIL_CONFIRMED");
    const target = outcome.secondFactorPage ?? cfg.postConfirmView ?? (outcome.signedIn ? rt.config.urls.postLoginView : loginPage);
    if (spaMode(ctx)) {
      const { user } = outcome;
      const tf = outcome.secondFactorPage ? { tf_required: "1" } : {};
      return spaRedirect(ctx, cfg.postConfirmView ?? (outcome.signedIn ? rt.config.urls.postLoginView : loginPage), { email: user.email, identity: user.username ?? user.email, success: text, ...tf });
    }
    setFlash(ctx, "success", text);
    return redirectResponse(ctx, target);
  }
  if (outcome.kind === "already") {
    const text = rt.message("ALREADY_CONFIRMED");
    if (spaMode(ctx)) return spaRedirect(ctx, errorView, { info: text });
    setFlash(ctx, "info", text);
    return redirectResponse(ctx, cfg.postConfirmView ?? loginPage);
  }
  if (spaMode(ctx)) return spaRedirect(ctx, errorView, { error: outcome.text });
  setFlash(ctx, "error", outcome.text);
  return redirectResponse(ctx, errorView);
}
