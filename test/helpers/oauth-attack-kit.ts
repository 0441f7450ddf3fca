import assert from "node:assert/strict";
import type { Reply, TestClient } from "./client.js";
import { followToRedirectUri } from "./oidc-idp.js";
import { APP, type OauthWorld } from "./oauth-world.js";
import { signedInAs } from "./oauth-flows.js";
import { linkedIdentityStore } from "../../src/features/oauth/store.js";

/**
 * What the attacker's tests of social sign-in observe when a callback is refused: the redirect and its message
 * (the flash on the sign-in page, HTML-escaped), no session cookie and nobody signed in, no identity linked,
 * and an oauth_failed audit row with the reason.
 */
export const PASSWORD = "correct horse battery";

export const flowExpired = (label: string) =>
  `That sign-in with ${label} was not started in this browser or took too long. Please start over.`;
export const HANDSHAKE = "An error occurred while communicating with the OAuth provider:";

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The name under which this app keeps the flow cookie (a __Host- prefix on https). */
export function flowCookieOf(c: TestClient): [string, string] {
  const entry = [...c.jar.entries()].find(([k]) => /(^|-)rampart_oauth$/.test(k));
  assert.ok(entry, `a flow cookie in ${[...c.jar.keys()].join(", ")}`);
  return entry;
}

/** A fresh browser holding only the given cookies. */
export function browserWith(w: OauthWorld, cookies: [string, string][]): TestClient {
  const c = w.app.client();
  for (const [k, v] of cookies) c.jar.set(k, v);
  return c;
}

/** A callback path with some query parameters replaced (undefined: removed). */
export function withParams(path: string, change: Record<string, string | undefined>): string {
  const u = new URL(path, APP);
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) u.searchParams.delete(k);
    else u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

/** Starts a sign-in in `c` and returns the provider's authorization URL (the flow cookie is in c's jar). */
export async function startAt(c: TestClient, name: string, query = ""): Promise<URL> {
  const csrf = await c.csrf();
  const start = await c.post(`/login/oauthstart/${name}${query}`, { form: { csrf_token: csrf } });
  assert.equal(start.status, 302, start.body);
  return new URL(start.location!);
}

/** Follows an authorization URL at the provider to the app's return (the callback's path and query). */
export async function backFrom(url: URL | string): Promise<string> {
  const back = await followToRedirectUri(url.toString(), `${APP}/`);
  return back.pathname + back.search;
}

async function linkCount(w: OauthWorld): Promise<number> {
  const store = w.app.runtime.datastore.store(linkedIdentityStore);
  let n = 0;
  for (const u of await w.app.runtime.datastore.users.list()) n += (await store.listForUser(u.id)).length;
  return n;
}

async function lastFailureId(w: OauthWorld): Promise<number> {
  const [last] = await w.app.runtime.datastore.audit.list({ event: "oauth_failed", limit: 1 });
  return last?.id ?? 0;
}

function sessionCookieSet(w: OauthWorld, r: Reply): boolean {
  const names = [w.app.rampart.config.session.cookieName, w.app.rampart.config.session.rememberCookieName];
  return r.setCookies.some((c) => names.some((n) => c.startsWith(`${n}=`)) && !/max-age=0/i.test(c));
}

export interface Refusal {
  /** The message the sign-in page shows (a substring). */
  text: string;
  /** The oauth_failed row's reason (exact, or a pattern). */
  reason: string | RegExp;
  /** Where the browser is sent (default /login). */
  location?: string;
}

/**
 * Runs `act` (a callback request by `c`) and asserts it was refused as a user and the operator see it: a
 * redirect to the sign-in page, no session cookie, the message shown there, nobody signed in, no identity linked
 * meanwhile, and one new oauth_failed audit row with the reason.
 */
export async function expectRefused(
  w: OauthWorld,
  c: TestClient,
  act: () => Promise<Reply>,
  expected: Refusal,
): Promise<Reply> {
  const links = await linkCount(w);
  const since = await lastFailureId(w);
  const r = await act();
  assert.equal(r.status, 302, r.body);
  assert.equal(r.location, expected.location ?? "/login");
  assert.equal(sessionCookieSet(w, r), false, "no session cookie");
  const page = await c.get("/login");
  assert.ok(
    page.body.includes(escapeHtml(expected.text)),
    `the sign-in page shows "${expected.text}": ${/class="[^"]*flash[^"]*"[^>]*>[^<]*/.exec(page.body)?.[0] ?? ""}`,
  );
  assert.equal(await signedInAs(c), null, "nobody signed in");
  assert.equal(await linkCount(w), links, "no identity linked");
  const rows = (await w.app.runtime.datastore.audit.list({ event: "oauth_failed", limit: 20 })).filter(
    (row) => row.id > since,
  );
  assert.equal(rows.length, 1, "one oauth_failed audit row");
  const reason = String(rows[0]!.details?.reason ?? "");
  if (typeof expected.reason === "string") assert.equal(reason, expected.reason);
  else assert.match(reason, expected.reason);
  return r;
}
