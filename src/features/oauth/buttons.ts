import { sliceOf } from "../../core/config/slice.js";
import type { Runtime } from "../../core/runtime.js";
import { html, type SafeHtml } from "../../pages/kit.js";
import { oauthSlice } from "./config.js";
import type { FlowPurpose } from "./flow-state.js";
import { providersOf } from "./providers/index.js";

/**
 * One button per provider, each a small form POSTing (with the page's CSRF token) to the route that starts a flow
 * of this purpose: sign in (the sign-in and registration pages), re-authenticate (the verify pages) or link (the
 * linked-accounts page). A POST, never a link: starting a flow sets the flow cookie, which a cross-site GET must not.
 * Names of providers that are not configured are skipped.
 */
export function providerButtons(
  ctx: { rt: Runtime },
  names: readonly string[],
  purpose: FlowPurpose,
  page: { csrfToken: string; next?: string | null },
): SafeHtml {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, oauthSlice);
  const providers = providersOf(rt);
  const query = page.next ? `?next=${encodeURIComponent(page.next)}` : "";
  const base =
    purpose === "verify" ? cfg.verifyStartUrl : purpose === "link" ? `${cfg.accountsUrl}/link` : cfg.startUrl;
  const verb = purpose === "verify" ? "Continue with" : purpose === "link" ? "Link" : "Sign in with";
  const forms = names.flatMap((name) => {
    const provider = providers.get(name);
    if (!provider) return [];
    const action = `${rt.url(`${base}/${encodeURIComponent(name)}`)}${query}`;
    return [
      html`<form class="oauth-button" method="post" action="${action}" id="oauth-${purpose}-${name}"><input type="hidden" name="csrf_token" value="${page.csrfToken}"><button type="submit">${verb} ${provider.label}</button></form>`,
    ];
  });
  return forms.length ? html`<div class="oauth-providers">${forms}</div>` : html``;
}
