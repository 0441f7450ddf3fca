import { form, html, layout } from "../../pages/kit.js";
import type { RequestContext } from "../../core/context.js";
import { ok, type Ok, type Redirect } from "../../core/outcome.js";
import { spaMode, spaRedirectTo } from "./spa.js";

/**
 * Emailed links that sign in (magic link; confirmation link with auto-login). Unless `urls.signInLinksOnGet`
 * restores FS's behaviour, opening one signs nobody in and spends nothing: a browser gets a page whose button
 * completes the link with a same-origin POST (CSRF-protected; never submitted by script), and an SPA gets a
 * redirect to its view carrying the link's parameters, then POSTs them itself. So an attacker's own link,
 * opened by a victim, cannot sign the victim's browser into the attacker's account (login CSRF), and mail
 * scanners that prefetch links do not use them up.
 */
export function linkSignsInOnGet(ctx: RequestContext): boolean {
  return ctx.rt.config.urls.signInLinksOnGet;
}

export interface LinkLanding {
  title: string;
  text: string;
  submit: string;
  /** Where the button POSTs (the link's own path). */
  action: string;
  /** The link's parameters, carried as hidden fields (and as query parameters to the SPA view). */
  fields: Record<string, string>;
  /** SPA view that completes the link by POST; without one, SPA mode gets the page too. */
  spaView: string | null;
}

/** The view data a route's page receives for the landing (render it with `linkLandingPage`). */
export interface LinkLandingView {
  linkLanding: LinkLanding;
}

/**
 * The landing as an outcome: the SPA's view, or the page (the route's page renders `view.linkLanding` with
 * `linkLandingPage`). An API caller gets a CSRF token to POST the link with.
 */
export function linkLandingOutcome(
  ctx: RequestContext,
  landing: LinkLanding,
): Ok<Record<string, never>, LinkLandingView> | Redirect {
  if (spaMode(ctx) && landing.spaView) return spaRedirectTo(ctx, landing.spaView, landing.fields);
  return ok({}, { csrf: true, browser: { view: { linkLanding: landing } }, headers: { ...LINK_LANDING_HEADERS } });
}

/** The landing page itself (for routes that return outcomes: answer it with LINK_LANDING_HEADERS). */
export function linkLandingPage(ctx: RequestContext, landing: Omit<LinkLanding, "spaView">, csrfToken: string): string {
  const fields = Object.entries(landing.fields).map(([name, value]) => ({
    name,
    label: "",
    type: "hidden" as const,
    value,
  }));
  const body = html`<p>${landing.text}</p>${form({ action: landing.action, id: "link-landing-form", csrfToken, fields, submit: landing.submit })}`;
  return layout(landing.title, body, { appName: ctx.rt.config.appName });
}

// The page holds a one-time secret: no caching, and no Referer carrying it to other sites. "same-origin"
// rather than "no-referrer": with the latter browsers post the button's form with "Origin: null", which
// browsers without Sec-Fetch-Site (older Safari) could not prove to be ours.
export const LINK_LANDING_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "referrer-policy": "same-origin",
};
