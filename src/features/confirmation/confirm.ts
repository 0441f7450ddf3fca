import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { afterCommit } from "../../core/after-commit.js";
import { defineRoute } from "../../core/define-route.js";
import { autoSignInVetoed, runAfterHook, runBeforeHook } from "../../core/hooks.js";
import { setFlash } from "../../core/http/flash.js";
import {
  linkLandingOutcome,
  linkLandingPage,
  linkSignsInOnGet,
  type LinkLandingView,
} from "../../kit/http/link-landing.js";
import { spaMode, spaRedirectTo } from "../../kit/http/spa.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import { text } from "../../core/input.js";
import { fingerprint, verifyLinkToken } from "../../kit/link-tokens.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { proveMailbox } from "../../core/mailbox-proof.js";
import { fieldError, ok, redirect, type Redirect } from "../../core/outcome.js";
import { normalizeEmailAddress } from "../../core/policy/index.js";
import type { PageProps } from "../../core/render.js";
import type { Runtime } from "../../core/runtime.js";
import { formRoute } from "../../kit/form-route.js";
import { formPayload } from "../../kit/schemas.js";
import type { UserRecord } from "../../datastore/contracts.js";
import type { Flash } from "../../pages/kit.js";
import { confirmationSlice } from "./config.js";
import { confirmationLink } from "./links.js";
import { confirmPage } from "./pages.js";
import { admitSend } from "../../kit/send-limits.js";

/**
 * GET/POST /confirm: ask for new confirmation instructions. GET/POST /confirm/<token>: the emailed link,
 * always answered with a redirect (a page with a flash message, or the SPA's views with query parameters).
 * Confirming never signs anyone in unless AUTO_LOGIN_AFTER_CONFIRM, and then only through the pipeline.
 */
interface ConfirmView {
  flashes: Flash[];
}

function page(ctx: RequestContext, props: PageProps<{ email?: string }, ConfirmView>): string {
  const action = ctx.rt.url(sliceOf(ctx.rt.config, confirmationSlice).url);
  const flashes = props.view?.flashes ?? (props.errors ? [] : props.takeFlashes());
  return confirmPage(ctx, {
    action,
    csrfToken: props.csrfToken,
    email: props.errors ? (props.input.email ?? "") : undefined,
    errors: props.errors,
    flashes,
  });
}

export const getConfirmRoute = (path: string) =>
  formRoute({
    id: "confirm.form",
    summary: "The form to ask for new confirmation instructions: a CSRF token to post it with.",
    path,
    auth: "any",
    page,
  });

export const postConfirmRoute = (path: string) =>
  defineRoute({
    id: "confirm",
    summary: "Mail new confirmation instructions (with generic responses, the same answer for any address).",
    method: "POST",
    path,
    auth: "any",
    limits: ["send"],
    input: z.object({ email: text() }),
    output: formPayload,
    page,
    async handle(ctx, { input }) {
      const { rt } = ctx;
      const cfg = sliceOf(rt.config, confirmationSlice);
      const normalized = normalizeEmailAddress(input.email);
      if (!normalized.ok) return fieldError("email", normalized.code);
      const email = normalized.email;
      // Counted for every address, known or not, so the answers stay alike.
      await admitSend(ctx, "mail", email);
      const user = await rt.datastore.users.findByEmail(email);
      const veto = await hookVeto(ctx, "send_confirmation", user);
      if (veto) return veto;

      const generic = rt.config.returnGenericResponses;
      if (!user || user.confirmedAt) {
        const reason = user ? "ALREADY_CONFIRMED" : "USER_DOES_NOT_EXIST";
        await recordAudit(ctx, {
          event: "confirm_instructions",
          outcome: "failure",
          user,
          identity: email,
          details: { reason },
        });
        if (!generic) return fieldError("email", reason);
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
            {
              user,
              email: user.email,
              confirmation_link: link.url,
              confirmation_token: link.token,
              within: humanizeSeconds(cfg.withinSeconds),
              subject: cfg.emailSubject,
            },
            user,
          );
          await runAfterHook(ctx, "send_confirmation", user);
        });
      }
      // Browsers see the form again, saying where the instructions went.
      const flashes: Flash[] = [{ category: "info", message: rt.message("CONFIRMATION_REQUEST", { email }) }];
      return ok({}, { csrf: true, browser: { view: { flashes } } });
    },
  });

type LinkResult =
  | { kind: "confirmed"; user: UserRecord; signedIn: boolean; secondFactorPage?: string }
  | { kind: "already"; user: UserRecord }
  | { kind: "error"; reason: "invalid" | "expired" | "vetoed"; text: string; user: UserRecord | null };

/**
 * GET of the emailed link. With AUTO_LOGIN_AFTER_CONFIRM a link that would confirm (and so sign in) is not used
 * by the GET unless `urls.signInLinksOnGet`: the page's button (or the SPA) POSTs it (kit/http/link-landing.ts).
 * An API caller gets a CSRF token to POST it with.
 */
export const getConfirmLinkRoute = (path: string) =>
  defineRoute({
    id: "confirm.link",
    summary:
      "The emailed confirmation link: confirms and redirects (with auto-login, a page whose button POSTs the link).",
    method: "GET",
    path,
    auth: "any",
    limits: ["send"],
    output: formPayload,
    // Only the landing renders a page here; every other answer is a redirect.
    page: (ctx, props: PageProps<Record<string, never>, LinkLandingView>) =>
      props.view
        ? linkLandingPage(ctx, props.view.linkLanding, props.csrfToken)
        : page(ctx, { ...props, view: undefined }),
    async handle(ctx, { params }) {
      const { rt } = ctx;
      const cfg = sliceOf(rt.config, confirmationSlice);
      const token = params.token ?? "";
      if (cfg.autoLoginAfterConfirm && !linkSignsInOnGet(ctx) && (await wouldConfirm(rt, token, cfg.withinSeconds))) {
        return linkLandingOutcome(ctx, {
          title: "Confirm your email address",
          text: `Confirm your email address and sign in to ${rt.config.appName}.`,
          submit: "Confirm and sign in",
          action: rt.url(`${cfg.url}/${encodeURIComponent(token)}`),
          fields: { token },
          spaView: cfg.linkView,
        });
      }
      return answer(ctx, await confirmByToken(ctx, params.token));
    },
  });

/**
 * POST of the link (its landing page, an SPA, or a client that POSTs like FS allows). FS registers POST too;
 * being unsafe, it passes the CSRF check first. It always uses the link.
 */
export const postConfirmLinkRoute = (path: string) =>
  defineRoute({
    id: "confirm.link.post",
    summary: "Use the emailed confirmation link (answered with a redirect, as its GET).",
    method: "POST",
    path,
    auth: "any",
    limits: ["send"],
    async handle(ctx, { params }) {
      return answer(ctx, await confirmByToken(ctx, params.token));
    },
  });

/** True when the link is valid, unexpired, and its account is still unconfirmed (reads only). */
async function wouldConfirm(rt: Runtime, token: string, withinSeconds: number): Promise<boolean> {
  const check = verifyLinkToken(rt, "confirm", token, withinSeconds);
  const user = check.ok ? await linkUser(rt, check.data) : null;
  return user !== null && user.confirmedAt === null;
}

async function confirmByToken(ctx: RequestContext, token: string | undefined): Promise<LinkResult> {
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
  // methods); the password stays — it is the registrant's, and confirming accepts the registration. Passkeys
  // stay only in the browser that signed up with them: a stranger may have signed up with this address, and
  // unlike a password nothing the owner does later (a reset) would remove the stranger's passkey.
  const proof = await proveMailbox(ctx, user, "confirm", {
    password: true,
    passkeys: rt.services.passkeys?.keepAtConfirmation(ctx, user) ?? false,
    rotate: cfg.loginWithoutConfirmation,
  });
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
  if (
    cfg.autoLoginAfterConfirm &&
    (await afterCommit(rt, "the before.login hook", () => autoSignInVetoed(ctx, confirmed))) === false
  ) {
    // A GET never hands out an auth token; every sign-in check (active, lockout, two-factor…) still applies.
    const result = await afterCommit(rt, "the sign-in after confirmation", () =>
      rt.pipeline.signIn(ctx, {
        user: confirmed,
        authnVia: ["confirm"],
        remember: false,
        kind: "session",
        includeAuthToken: false,
      }),
    );
    // The link's own answer (a redirect for every caller, with the SPA's parameters) stays, so completeSignIn's
    // JSON answer does not fit; its after-hook does: after.login follows before.login, as for every sign-in.
    if (result?.kind === "signed-in")
      await afterCommit(rt, "the after.login hook", () => runAfterHook(ctx, "login", confirmed));
    // A second factor is still needed: the browser continues there (its pending state is set), as in FS.
    const next = result?.kind === "interrupt" ? result.redirect : undefined;
    return {
      kind: "confirmed",
      user,
      signedIn: result?.kind === "signed-in",
      ...(next ? { secondFactorPage: next } : {}),
    };
  }
  return { kind: "confirmed", user, signedIn: false };
}

/** The user a link was made for, if its uniquifier and email are still the same. */
async function linkUser(rt: Runtime, data: string[]): Promise<UserRecord | null> {
  if (data.length !== 2) return null;
  const user = await rt.datastore.users.findByUniquifier(data[0]!);
  return user && fingerprint(user.email) === data[1] ? user : null;
}

/** The link's answer: the same redirect for every caller (FS), with a flash for pages or the SPA's query parameters. */
function answer(ctx: RequestContext, result: LinkResult): Redirect {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, confirmationSlice);
  const loginPage = rt.url(rt.config.urls.login);
  const errorView = cfg.confirmErrorView ?? rt.url(cfg.url);
  if (result.kind === "confirmed") {
    const text = rt.message("EMAIL_CONFIRMED");
    const target =
      result.secondFactorPage ?? cfg.postConfirmView ?? (result.signedIn ? rt.config.urls.postLoginView : loginPage);
    if (spaMode(ctx)) {
      const { user } = result;
      const tf = result.secondFactorPage ? { tf_required: "1" } : {};
      return spaRedirectTo(ctx, cfg.postConfirmView ?? (result.signedIn ? rt.config.urls.postLoginView : loginPage), {
        email: user.email,
        identity: user.username ?? user.email,
        success: text,
        ...tf,
      });
    }
    setFlash(ctx, "success", text);
    return redirect(target);
  }
  if (result.kind === "already") {
    const text = rt.message("ALREADY_CONFIRMED");
    if (spaMode(ctx)) return spaRedirectTo(ctx, errorView, { info: text });
    setFlash(ctx, "info", text);
    return redirect(cfg.postConfirmView ?? loginPage);
  }
  if (spaMode(ctx)) return spaRedirectTo(ctx, errorView, { error: result.text });
  setFlash(ctx, "error", result.text);
  return redirect(errorView);
}
