import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import type { TestClient } from "../helpers/client.js";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { linkedIdentityStore } from "../../src/features/oauth/store.js";

/**
 * Social sign-in end to end: a real OpenID Connect provider ("okta", and the one behind "google") and a
 * GitHub-speaking server on loopback, driven as a browser would (the start route with CSRF, the provider's
 * redirects, the callback in the same client). What is asserted is what a user sees: the redirect, whether the
 * client is signed in, and the rows written.
 */
const PASSWORD = "correct horse battery";

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

/** Links an identity to an existing account directly (as the account page would have). */
async function link(w: OauthWorld, email: string, provider: string, subject: string): Promise<void> {
  const user = await w.app.runtime.datastore.users.findByEmail(email);
  const made = await w.app.runtime.datastore.store(linkedIdentityStore).link({
    userId: user!.id,
    provider,
    subject,
    issuer: "test",
    email,
    createdAt: new Date(),
  });
  assert.notEqual(made, "in-use");
}

/** The flash message the sign-in page shows after a refused callback. */
async function flashOnLogin(c: TestClient): Promise<string> {
  const page = await c.get("/login");
  return page.body;
}

for (const dialect of flowDialects()) {
  describe(`social sign-in: linked identities and first sign-in by verified email (${dialect})`, () => {
    let w: OauthWorld;
    before(async () => {
      w = await startOauthWorld({ dialect, config: { returnGenericResponses: false } });
    });
    after(async () => w?.close());

    it("a linked okta identity signs its user in; the session records oauth, the provider and the upstream amr", async () => {
      await w.app.rampart.api.createUser({ email: "linked@example.com", password: PASSWORD, confirmed: true });
      await link(w, "linked@example.com", "okta", "okta-linked");
      w.idp.setAccount({
        sub: "okta-linked",
        email: "someone-else@example.com",
        email_verified: false,
        amr: ["pwd", "mfa"],
      });
      const c = w.app.client();
      const { start, callback } = await w.signInWith(c, "okta");
      assert.equal(start.status, 302);
      assert.equal(callback.status, 302, callback.body);
      assert.equal(callback.location, "/");
      assert.equal(await signedInAs(c), "linked@example.com");
      const user = await w.app.runtime.datastore.users.findByEmail("linked@example.com");
      const sessions = await w.app.runtime.sessions.listForUser(user!.id);
      assert.equal(sessions.length, 1);
      const via = sessions[0]!.authnVia as string[];
      for (const v of ["oauth", "oauth:idp=okta", "oauth:amr=pwd", "oauth:amr=mfa"])
        assert.ok(via.includes(v), `${v} in ${via}`);
      const [row] = await w.app.runtime.datastore.store(linkedIdentityStore).listForUser(user!.id);
      assert.ok(row!.lastUsedAt, "the identity's last use is recorded");
    });

    it("a verified email links onto the confirmed account with that email, in another case, and signs in", async () => {
      await w.app.rampart.api.createUser({
        email: "mary-jane.o+test@mail.example-site.co.uk",
        password: PASSWORD,
        confirmed: true,
      });
      w.idp.setAccount({ sub: "okta-mary", email: "Mary-Jane.O+test@Mail.Example-Site.co.uk", email_verified: true });
      const c = w.app.client();
      const { callback } = await w.signInWith(c, "okta");
      assert.equal(callback.location, "/", callback.body);
      assert.equal(await signedInAs(c), "mary-jane.o+test@mail.example-site.co.uk");
      assert.deepEqual(await linksOf(w, "mary-jane.o+test@mail.example-site.co.uk"), [
        { provider: "okta", subject: "okta-mary" },
      ]);
    });
  });
}
