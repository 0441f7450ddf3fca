import assert from "node:assert/strict";
import type { TestClient } from "./client.js";
import { followToRedirectUri } from "./oidc-idp.js";
import { APP, type OauthWorld } from "./oauth-world.js";
import { linkedIdentityStore } from "../../src/features/oauth/store.js";

/** What the social sign-in flow tests observe: who the client is signed in as, the identities linked. */
export async function signedInAs(c: TestClient): Promise<string | null> {
  const r = await c.get("/api/protected", { acceptJson: true });
  return r.status === 200 ? (r.json.response.message as string).replace(/^Hello /, "") : null;
}

export async function linksOf(w: OauthWorld, email: string): Promise<{ provider: string; subject: string }[]> {
  const user = await w.app.runtime.datastore.users.findByEmail(email);
  if (!user) return [];
  const rows = await w.app.runtime.datastore.store(linkedIdentityStore).listForUser(user.id);
  return rows.map((r) => ({ provider: r.provider, subject: r.subject }));
}

/** The issuer each test provider asserts its identities with (GitHub: its web origin). */
export function issuerOf(w: OauthWorld, provider: string): string {
  if (provider === "google") return w.google.issuer;
  if (provider === "github") return new URL(w.github.url).origin;
  return w.idp.issuer;
}

/** Links an identity to an existing account directly (as the account page would have), from `issuer`. */
export async function link(
  w: OauthWorld,
  email: string,
  provider: string,
  subject: string,
  issuer = issuerOf(w, provider),
): Promise<void> {
  const user = await w.app.runtime.datastore.users.findByEmail(email);
  const made = await w.app.runtime.datastore.store(linkedIdentityStore).link({
    userId: user!.id,
    provider,
    subject,
    issuer,
    email,
    createdAt: new Date(),
  });
  assert.notEqual(made, "in-use");
}

/** A sign-in taken up to the provider's redirect back (the callback not yet requested): its path. */
export async function atCallback(c: TestClient, name: string, form: Record<string, string> = {}): Promise<string> {
  const csrf = await c.csrf();
  const start = await c.post(`/login/oauthstart/${name}`, { form: { ...form, csrf_token: csrf } });
  assert.equal(start.status, 302, start.body);
  const back = await followToRedirectUri(start.location!, `${APP}/`);
  return back.pathname + back.search;
}
