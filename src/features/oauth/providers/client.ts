import * as client from "openid-client";
import { ProviderError } from "./types.js";

/**
 * openid-client's configuration for one provider, with the limits every call keeps: a bounded timeout, and plain
 * http allowed only for a loopback provider (a test or a local Keycloak) — anything else must be https.
 */
export function limitCalls(config: client.Configuration, timeoutMs: number, urls: string[]): client.Configuration {
  config.timeout = Math.ceil(timeoutMs / 1000);
  if (urls.some(isLoopbackHttp)) client.allowInsecureRequests(config);
  return config;
}

export const discoveryOptions = (timeoutMs: number, issuer: string): client.DiscoveryRequestOptions => ({
  timeout: Math.ceil(timeoutMs / 1000),
  ...(isLoopbackHttp(issuer) ? { execute: [client.allowInsecureRequests] } : {}),
});

function isLoopbackHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
}

/** Any error of openid-client or the network, as the flow's ProviderError (never leaking a secret). */
export function asProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof client.AuthorizationResponseError) {
    const reason = err.error === "access_denied" ? "denied" : "handshake";
    return new ProviderError(reason, err.error, err.error_description ?? "");
  }
  if (err instanceof client.ResponseBodyError) {
    const reason = err.status >= 500 ? "unavailable" : "handshake";
    return new ProviderError(reason, err.error, err.error_description ?? "");
  }
  type Caused = { name?: string; code?: string; message?: string; cause?: Caused & { body?: unknown } };
  const e = err as Caused;
  // GitHub answers a token error with status 200 and an OAuth error body: openid-client sees a token response
  // without access_token (its error's cause's cause holds the body); the provider's own error code and
  // description are what the user should read.
  const body = e.cause?.cause?.body as { error?: unknown; error_description?: unknown } | undefined;
  if (typeof body?.error === "string") {
    const description = typeof body.error_description === "string" ? body.error_description : "";
    return new ProviderError(body.error === "access_denied" ? "denied" : "handshake", body.error, description);
  }
  const network =
    e.name === "TimeoutError" ||
    e.name === "AbortError" ||
    e.code === "OAUTH_TIMEOUT" ||
    (e.message ?? "").includes("fetch failed") ||
    ["ECONNREFUSED", "ECONNRESET", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"].includes(e.cause?.code ?? "");
  if (network) return new ProviderError("unavailable", "unavailable", "the provider did not answer");
  return new ProviderError("handshake", e.code ?? "invalid_response", e.message ?? "unexpected answer");
}
