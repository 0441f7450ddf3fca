import type { RequestContext } from "../../core/context.js";
import { allowFormAction } from "../../core/http/respond.js";
import { sliceOf } from "../../core/config/slice.js";
import type { PageExtra } from "../../core/services.js";
import type { Runtime } from "../../core/runtime.js";
import { html, type SafeHtml } from "../../pages/kit.js";
import { oauthSlice } from "./config.js";
import type { FlowPurpose } from "./flow-state.js";
import { providersOf, type OAuthProvider } from "./providers/index.js";
import { linkedIdentityStore } from "./store.js";

/**
 * The provider buttons: one small form per provider POSTing to the start route of the purpose (sign in,
 * re-authenticate, link) with the page's CSRF token and `next`. A start is a POST, never a link: it sets the flow
 * cookie, and a GET another site could embed must not start flows in your browser.
 */
export interface ButtonOptions {
  csrfToken: string | null;
  next: string | null;
  /** Only these providers (the verify page: the ones the user has linked); default every configured one. */
  only?: readonly string[];
}

/** Where the button of this purpose posts (FS's start routes; linking is an accounts route). */
export function startPath(rt: Runtime, purpose: FlowPurpose, name: string): string {
  const cfg = sliceOf(rt.config, oauthSlice);
  const base =
    purpose === "verify" ? cfg.verifyStartUrl : purpose === "link" ? `${cfg.accountsUrl}/link` : cfg.startUrl;
  return rt.url(`${base}/${encodeURIComponent(name)}`);
}

/** What the button says: "Sign in with Google", "Continue with GitHub", "Sign in with Okta"… */
export function buttonLabel(provider: Pick<OAuthProvider, "name" | "label">, purpose: FlowPurpose): string {
  if (purpose === "verify") return `Confirm with ${provider.label}`;
  if (purpose === "link") return `Link ${provider.label}`;
  return provider.name === "github" ? `Continue with ${provider.label}` : `Sign in with ${provider.label}`;
}

/**
 * Where each provider's authorization starts (the issuer for OpenID Connect providers: Google, Okta, Keycloak,
 * Auth0 and Entra ID serve their authorization endpoint there; GitHub's authorize URL), from the configuration.
 */
function authorizationOrigins(rt: Runtime): Map<string, string> {
  const cfg = sliceOf(rt.config, oauthSlice);
  const origins = new Map<string, string>([
    ["google", cfg.google.issuer],
    ["github", cfg.github.authorizeUrl],
  ]);
  for (const p of cfg.providers) origins.set(p.name, p.issuer);
  return origins;
}

export function providerButtons(ctx: RequestContext, purpose: FlowPurpose, options: ButtonOptions): SafeHtml {
  const providers = [...providersOf(ctx.rt).values()].filter((p) => !options.only || options.only.includes(p.name));
  if (!providers.length) return html``;
  // The start answers with a redirect to the provider: this page's CSP must let its forms go there.
  const origins = authorizationOrigins(ctx.rt);
  for (const p of providers) {
    const origin = origins.get(p.name);
    if (origin) allowFormAction(ctx, origin);
  }
  const query = options.next ? `?next=${encodeURIComponent(options.next)}` : "";
  const forms = providers.map(
    (
      p,
    ) => html`<form method="post" action="${startPath(ctx.rt, purpose, p.name) + query}" id="oauth-${purpose}-${p.name}" class="inline">
${options.csrfToken ? html`<input type="hidden" name="csrf_token" value="${options.csrfToken}">` : ""}${options.next ? html`<input type="hidden" name="next" value="${options.next}">` : ""}<button type="submit">${buttonLabel(p, purpose)}</button></form> `,
  );
  return html`<section class="oauth-providers" aria-label="Other ways to ${purpose === "verify" ? "confirm it's you" : "sign in"}">${purpose === "login" ? html`<p>Or:</p>` : ""}${forms}</section>`;
}

/**
 * The buttons on other features' pages: sign-in pages (/login, /us-signin); the registration page when a first
 * sign-in may create the account (RAMPART_OAUTH_REGISTER; otherwise a provider cannot register anyone there);
 * the verify pages, one button per provider the user has linked (re-authenticating with another is refused).
 */
export function oauthPageExtras(rt: Runtime): PageExtra[] {
  const cfg = sliceOf(rt.config, oauthSlice);
  const extras: PageExtra[] = [
    { slot: "signin", render: (ctx, page) => providerButtons(ctx, "login", page) },
    {
      slot: "verify",
      async render(ctx, page) {
        if (!page.user) return null;
        const linked = await rt.datastore.store(linkedIdentityStore).listForUser(page.user.id);
        if (!linked.length) return null;
        return providerButtons(ctx, "verify", { ...page, only: linked.map((l) => l.provider) });
      },
    },
  ];
  if (cfg.register) extras.push({ slot: "register", render: (ctx, page) => providerButtons(ctx, "login", page) });
  return extras;
}
