import * as client from "openid-client";
import { isLoopbackHttp, isRemoteHttp } from "../config.js";
import { ProviderError } from "./types.js";

/**
 * openid-client's configuration for one provider, with the limits every call keeps: a bounded timeout, and plain
 * http only when every plain-http URL it will use is loopback (a test or a local Keycloak). Allowing http is one
 * switch for all of a provider's endpoints, so a single non-loopback http one (a token endpoint carrying the
 * client secret, a JWKS) is refused outright rather than let through with the loopback ones.
 */
export function limitCalls(config: client.Configuration, timeoutMs: number, urls: string[]): client.Configuration {
  config.timeout = Math.ceil(timeoutMs / 1000);
  const remote = urls.find(isRemoteHttp);
  if (remote)
    throw new ProviderError("unavailable", "insecure_endpoint", `plain http is allowed only on loopback: ${remote}`);
  if (urls.some(isLoopbackHttp)) client.allowInsecureRequests(config);
  return config;
}

export const discoveryOptions = (timeoutMs: number, issuer: string): client.DiscoveryRequestOptions => ({
  timeout: Math.ceil(timeoutMs / 1000),
  ...(isLoopbackHttp(issuer) ? { execute: [client.allowInsecureRequests] } : {}),
});

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
