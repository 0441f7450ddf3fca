/**
 * Requests from chosen client addresses, for tests of per-source limits: straight from a socket peer, or through
 * a trusted proxy that names the client in X-Forwarded-For (the app must list the proxy in TRUSTED_PROXIES).
 */
import { attachRemoteAddress } from "../../src/core/context.js";
import type { TestApp } from "./app.js";
import { TestClient, type Reply } from "./client.js";

/** The proxy address the tests list in TRUSTED_PROXIES. */
export const TEST_PROXY = "10.0.0.1";

/** A client whose requests come from `peer` (the socket's remote address). */
export function fromPeer(app: TestApp, peer: string): TestClient {
  return new TestClient((request) => app.rampart.fetch(attachRemoteAddress(request, peer)));
}

/** A client whose requests the trusted proxy forwards for `client`. */
export function viaProxy(app: TestApp, client: string, proxy = TEST_PROXY): TestClient {
  return new TestClient((request) => {
    request.headers.set("x-forwarded-for", client);
    return app.rampart.fetch(attachRemoteAddress(request, proxy));
  });
}

/** What a caller sees, without what differs per session (the CSRF token) and with the echoed address masked. */
export function seen(r: Reply, address: string): string {
  const body = r.body
    .replace(/"csrf_token":"[^"]*"/, "")
    .split(address)
    .join("<address>");
  return `${r.status} ${r.headers.get("retry-after") === null ? "-" : "retry"} ${body}`;
}
