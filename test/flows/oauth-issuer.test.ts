import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import type { TestClient } from "../helpers/client.js";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { link, signedInAs } from "../helpers/oauth-flows.js";
import { escapeHtml, expectRefused, PASSWORD } from "../helpers/oauth-attack-kit.js";
import { linkedIdentityStore } from "../../src/features/oauth/store.js";

/**
 * A linked identity is the subject *at the issuer it was linked from*. When the operator points a provider name
 * at another issuer (another Okta tenant, github.com → GitHub Enterprise), a person there whose subject equals an
 * old one is someone else: sign-in, re-authentication and linking all refuse it (audit reason issuer_mismatch),
 * and a sign-in never goes on to link by the verified email instead.
 */
const OLD_ISSUER = "https://old-tenant.okta.example";
const MISMATCH =
  "This Okta identity was linked through a different Okta server, so it cannot be used now. Sign in another way, remove the old Okta link from your account page, and link Okta again.";

for (const dialect of flowDialects()) {
  describe(`social sign-in: an identity linked from another issuer (${dialect})`, () => {
    let w: OauthWorld;
    let n = 0;
    before(async () => {
      w = await startOauthWorld({ dialect, config: { freshness: { withinSeconds: 600, gracePeriodSeconds: 0 } } });
    });
    after(async () => w?.close());

    const store = () => w.app.runtime.datastore.store(linkedIdentityStore);
    const lastFailure = async () => (await w.app.runtime.datastore.audit.list({ event: "oauth_failed", limit: 1 }))[0];

    /** A confirmed account whose "okta" identity `sub` was linked from OLD_ISSUER; the IdP now asserts that sub. */
    async function victim(): Promise<{ email: string; sub: string }> {
      const email = `victim-${++n}@example.com`;
      const sub = `${1000 + n}`;
      await w.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      await link(w, email, "okta", sub, OLD_ISSUER);
      // The new issuer's person also asserts the victim's email as verified: link-by-email must not take over.
      w.idp.setAccount({ sub, email, email_verified: true });
      return { email, sub };
    }

    async function signedInWithPassword(email: string): Promise<TestClient> {
      const c = w.app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);
      return c;
    }

    it("sign-in: refused with a clear message, audited issuer_mismatch; no link by email, the old row kept", async () => {
      const { email, sub } = await victim();
      const c = w.app.client();
      await expectRefused(w, c, async () => (await w.signInWith(c, "okta")).callback, {
        text: MISMATCH,
        reason: "issuer_mismatch",
      });
      assert.equal(await signedInAs(c), null);
      const user = await w.app.runtime.datastore.users.findByEmail(email);
      const rows = await store().listForUser(user!.id);
      assert.deepEqual(
        rows.map((r) => [r.subject, r.issuer, r.lastUsedAt]),
        [[sub, OLD_ISSUER, null]],
      );
    });

    it("re-authentication (verify): refused to the verify page, audited issuer_mismatch", async () => {
      const { email } = await victim();
      const c = await signedInWithPassword(email);
      const { callback } = await w.signInWith(c, "okta", { route: "verify" });
      assert.equal(callback.status, 302, callback.body);
      assert.equal(callback.location, "/verify");
      assert.ok((await c.get("/verify")).body.includes(escapeHtml(MISMATCH)), "the verify page shows the message");
      assert.equal((await lastFailure())?.details?.reason, "issuer_mismatch");
    });

    it("linking from the account page: refused, audited issuer_mismatch; the old row unchanged", async () => {
      const { email, sub } = await victim();
      const c = await signedInWithPassword(email);
      const { callback } = await w.signInWith(c, "okta", { route: "link" });
      assert.equal(callback.status, 302, callback.body);
      assert.equal(callback.location, "/oauth-accounts");
      assert.ok((await c.get("/oauth-accounts")).body.includes(escapeHtml(MISMATCH)), "the page shows the message");
      assert.equal((await lastFailure())?.details?.reason, "issuer_mismatch");
      const user = await w.app.runtime.datastore.users.findByEmail(email);
      assert.deepEqual(
        (await store().listForUser(user!.id)).map((r) => [r.subject, r.issuer]),
        [[sub, OLD_ISSUER]],
      );
    });

    it("the same subject linked from the issuer asserting it now signs in (the control)", async () => {
      const email = `control-${++n}@example.com`;
      await w.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      await link(w, email, "okta", `control-${n}`);
      w.idp.setAccount({ sub: `control-${n}`, email: "other@example.com", email_verified: false });
      const c = w.app.client();
      assert.equal((await w.signInWith(c, "okta")).callback.location, "/");
      assert.equal(await signedInAs(c), email);
    });
  });
}
