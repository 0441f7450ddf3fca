import { z } from "zod";
import { completeSignIn, hookVeto, type SignedInPayload } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { setFlash } from "../../core/http/flash.js";
import { LINK_LANDING_HEADERS, linkLandingPage, linkSignsInOnGet } from "../../kit/http/link-landing.js";
import { errorPayload, errorStatus, type FieldErrors } from "../../core/http/respond.js";
import { spaLocation, spaMode } from "../../kit/http/spa.js";
import { text } from "../../core/input.js";
import type { MessageKey } from "../../core/messages.js";
import { ok, redirect, type Outcome, type Redirect, type Refused } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { linkLanding, signedInOrNextStep } from "./schemas.js";
import { dummyCodeCheck, matchMethodCode } from "./codes.js";
import { activeCodeMethods, usConfig } from "./methods.js";
import { checkPasscode, lockedOut } from "./passcode-check.js";
import { codeLimit, lockoutKey } from "../../core/lockout/lockout.js";

/**
 * /us-verify-link?id=<fs_uniquifier>&code=<code>: the magic link mailed with a sign-in code. Completing it signs
 * in through the pipeline like the code would (authn_via "email"); it is consumed once (the code's single use),
 * draws from the same per-account budget, and proves the mailbox (core/mailbox-proof.ts).
 *
 * GET signs nobody in unless `urls.signInLinksOnGet` (FS's behaviour): it answers a page whose button POSTs the
 * link (SPA mode with US_VERIFY_LINK_VIEW: a redirect there with `id` and `code`, and the SPA POSTs them as
 * JSON). A browser's POST (or the GET when allowed) is answered with redirects: to POST_LOGIN_VIEW, to the
 * second-factor page, or back to sign-in with the error. A JSON POST answers like /us-signin.
 */
// Lengths are judged by linkParams (a bad link answers like a wrong code), so the fields are read uncapped.
const linkInput = z.object({ id: text(), code: text() });

type LinkParams = { id: string; code: string };

function linkParams(id: string | null | undefined, code: string | null | undefined): LinkParams | null {
  const cleaned = (code ?? "").replace(/[\s-]+/g, "");
  if (!id || !cleaned || id.length > 128 || cleaned.length > 64) return null;
  return { id, code: cleaned };
}

function landingPage(ctx: RequestContext, props: PageProps<unknown, LinkParams>): string {
  const { rt } = ctx;
  const landing = {
    title: "Sign in",
    text: `Sign in to ${rt.config.appName} with the link you were sent.`,
    submit: "Sign in",
    action: rt.url(usConfig(rt).verifyLinkUrl),
    fields: props.view ?? {},
  };
  return linkLandingPage(ctx, landing, props.csrfToken);
}

export const getVerifyLinkRoute = (path: string) =>
  defineRoute({
    id: "us-verify-link.landing",
    summary:
      "The magic link: a page whose button completes it (signs nobody in by itself unless urls.signInLinksOnGet).",
    method: "GET",
    path,
    auth: "any",
    limits: ["credential", "send"],
    input: linkInput,
    output: linkLanding,
    page: landingPage,
    // The payload is one of three shapes (see linkLanding); a union's Omit has no common keys to check against.
    async handle(ctx, { input }): Promise<Outcome<any, LinkParams>> {
      const cfg = usConfig(ctx.rt);
      const params = linkParams(input.id, input.code);
      // A link is opened by a browser: every answer but the landing page is a redirect, for any caller (as FS).
      if (!params) return linkErrorRedirect(ctx, "API_ERROR");
      if (linkSignsInOnGet(ctx)) return completeLink(ctx, params);
      if (spaMode(ctx) && cfg.verifyLinkView) return redirect(spaLocation(ctx, cfg.verifyLinkView, params));
      return ok({}, { browser: { view: params }, headers: { ...LINK_LANDING_HEADERS } });
    },
  });

export const postVerifyLinkRoute = (path: string) =>
  defineRoute({
    id: "us-verify-link",
    summary:
      "Complete a magic link (from its landing page, or an SPA's JSON): signs in like /us-signin with the emailed code.",
    method: "POST",
    path,
    // Completes the magic link whoever is signed in; CSRF-protected like every POST.
    auth: "any",
    limits: ["credential", "send"],
    input: linkInput,
    output: signedInOrNextStep,
    async handle(ctx, { input }) {
      const params = linkParams(
        input.id ?? ctx.url.searchParams.get("id"),
        input.code ?? ctx.url.searchParams.get("code"),
      );
      if (!params) return linkRefusal(ctx, { "": [{ code: "API_ERROR" }] });
      return completeLink(ctx, params);
    },
  });

async function completeLink(ctx: RequestContext, params: LinkParams): Promise<Outcome<SignedInPayload, never>> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const generic = rt.config.returnGenericResponses;
  const refuse = (code: MessageKey) => linkRefusal(ctx, { "": [{ code }] });
  const user = await rt.datastore.users.findByUniquifier(params.id);
  // The link is a unified sign-in with the emailed code: the app's veto applies as it does at /us-signin.
  const veto = user ? await hookVeto(ctx, "us_signin", user) : null;
  if (veto) return linkRefusal(ctx, veto.errors, veto.status);
  const checked = await checkPasscode(ctx, user, {
    kind: "us_verify_link",
    audit: "login",
    identity: user?.email ?? null,
    failure: "INVALID_CODE",
    details: { via: "us_verify_link" },
    // A link holds the account's secret uniquifier and a mailed code: a lock caused by guesses elsewhere does not
    // keep its owner out (opening it signs in, which forgets the failures). Wrong codes for one link id draw from
    // the link code limit instead.
    accountLock: false,
    limit: codeLimit(rt, "link-code", lockoutKey(rt, { user, identity: params.id })),
    match: async (u) => {
      // An account without the email method costs the same code check as one with it.
      if (!activeCodeMethods(rt, u).includes("email")) {
        await dummyCodeCheck(ctx, params.code);
        return null;
      }
      return (await matchMethodCode(ctx, u, "email", params.code)) ? ("email" as const) : null;
    },
    dummy: () => dummyCodeCheck(ctx, params.code),
  });
  if (!checked.ok) {
    // API callers get /us-signin's answer (429 with Retry-After); browsers go back to sign-in with the message.
    if (checked.reason === "BUDGET_SPENT")
      return { ...lockedOut(checked), browser: linkErrorBrowser(ctx, "LOCKED_OUT") };
    if (generic) return refuse("GENERIC_AUTHN_FAILED");
    return refuse(checked.reason === "USER_DOES_NOT_EXIST" ? "USER_DOES_NOT_EXIST" : "INVALID_CODE");
  }
  const signedIn = checked.user;
  const result = await rt.pipeline.signIn(ctx, {
    user: signedIn,
    authnVia: ["email"],
    remember: false,
    kind: "session",
    includeAuthToken: ctx.includeAuthToken(),
    firstFactorIsMultiFactor: !(cfg.mfaRequired as readonly string[]).includes("email"),
  });
  // An SPA learns who signed in from its redirect (never the token: it is in no URL).
  const next = spaMode(ctx)
    ? spaLocation(ctx, rt.config.urls.postLoginView, {
        email: signedIn.email,
        identity: signedIn.username ?? signedIn.email,
      })
    : null;
  const outcome = await completeSignIn(ctx, result, {
    action: "us_signin",
    generic: true,
    denyField: "",
    next,
    extra: { tf_required: false },
  });
  // A denial answers like a bad link; a second factor still needed: the browser goes to it (its pending state is
  // set), an SPA is told so.
  if (outcome.kind === "form-errors") return linkRefusal(ctx, outcome.errors, outcome.status);
  if (outcome.kind === "interrupted" && spaMode(ctx))
    return {
      ...outcome,
      redirect: spaLocation(ctx, cfg.loginErrorView ?? rt.url(cfg.signinUrl), { tf_required: "1" }),
    };
  return outcome;
}

/**
 * A link that does not sign in: API callers get the form-error shape (errors under ""), browsers go back to the
 * sign-in page with the message (an SPA to its error view).
 */
function linkRefusal(ctx: RequestContext, errors: FieldErrors, status = 400): Refused {
  const refs = Object.values(errors).flat();
  const payload = errorPayload(ctx, errors);
  const browser = linkErrorBrowser(ctx, refs[0]!.code, (payload.errors as string[])[0]);
  return {
    kind: "refused",
    refs,
    status: errorStatus(errors, status),
    extra: { field_errors: payload.field_errors },
    browser,
  };
}

function linkErrorBrowser(
  ctx: RequestContext,
  code: MessageKey | string,
  message = ctx.rt.message(code as MessageKey),
): { redirect: string; flash?: { category: "error"; message: string } } {
  const cfg = usConfig(ctx.rt);
  if (spaMode(ctx))
    return { redirect: spaLocation(ctx, cfg.loginErrorView ?? ctx.rt.url(cfg.signinUrl), { error: message }) };
  return { redirect: ctx.rt.url(cfg.signinUrl), flash: { category: "error", message } };
}

/** A GET's error: a redirect for every caller (a link is opened by a browser). */
function linkErrorRedirect(ctx: RequestContext, code: MessageKey): Redirect {
  const answer = linkErrorBrowser(ctx, code);
  if (answer.flash) setFlash(ctx, answer.flash.category, answer.flash.message);
  return redirect(answer.redirect);
}
