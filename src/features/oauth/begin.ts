import type { RequestContext } from "../../core/context.js";
import { sliceOf } from "../../core/config/slice.js";
import { DependencyUnavailableError } from "../../core/errors.js";
import { ok, redirect, type Outcome, type Refused } from "../../core/outcome.js";
import { externalUrl } from "../../kit/http/links.js";
import { oauthSlice } from "./config.js";
import { keepFlow, newSecrets, type FlowPurpose } from "./flow-state.js";
import { failureRedirect } from "./failure.js";
import { providerOf, ProviderError } from "./providers/index.js";

/** FS answers 404 for a provider name it does not know. */
export function unknownProvider(): Refused {
  return { kind: "refused", refs: [{ code: "NOT_FOUND", text: "Not found" }], status: 404 };
}

/** The provider's return route for a flow of this purpose (a re-authentication has its own, as FS). */
export function redirectUriFor(ctx: RequestContext, name: string, purpose: FlowPurpose): string {
  const cfg = sliceOf(ctx.rt.config, oauthSlice);
  const route = purpose === "verify" ? cfg.verifyResponseUrl : cfg.responseUrl;
  return externalUrl(ctx, `${route}/${encodeURIComponent(name)}`);
}

/**
 * Sends the browser to the provider: new state, nonce and PKCE verifier, kept in this browser's flow cookie.
 * A browser is redirected (302); an API caller (an SPA's fetch) gets `{location}` to navigate to, with the
 * cookie set all the same. A provider whose discovery does not answer: 503 with Retry-After for API callers,
 * back to the page with the message for browsers.
 */
export async function beginFlow(
  ctx: RequestContext,
  name: string,
  purpose: FlowPurpose,
  options: { next: string | null; remember: boolean; uniquifier: string | null },
): Promise<Outcome> {
  const provider = providerOf(ctx.rt, name);
  if (!provider) return unknownProvider();
  const secrets = newSecrets(redirectUriFor(ctx, name, purpose));
  let location: URL;
  try {
    location = await provider.authorizationUrl(secrets);
  } catch (err) {
    const failure = err instanceof ProviderError ? err : new ProviderError("unavailable", "unavailable", String(err));
    if (ctx.wantsJson && failure.reason === "unavailable") throw new DependencyUnavailableError(`oauth:${name}`, err);
    return failureRedirect(ctx, purpose, provider.label, failure);
  }
  keepFlow(ctx, { ...secrets, purpose, provider: name, ...options });
  if (ctx.wantsJson) return ok({ location: location.toString() });
  return redirect(location.toString());
}
