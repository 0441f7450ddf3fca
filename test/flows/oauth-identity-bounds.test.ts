import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { linksOf } from "../helpers/oauth-flows.js";
import { escapeHtml, expectRefused, HANDSHAKE, PASSWORD } from "../helpers/oauth-attack-kit.js";

/**
 * An identity that does not fit its columns (a subject over 255 characters, an email over 320) is a bad answer
 * from the provider: refused as a handshake error on every database — never a 500 (PostgreSQL, MariaDB strict),
 * never silently cut (SQLite keeps anything; cut subjects would collide).
 */
for (const dialect of flowDialects()) {
  describe(`social sign-in: an identity too long to keep (${dialect})`, () => {
    let w: OauthWorld;
    let n = 0;
    before(async () => {
      w = await startOauthWorld({
        dialect,
        config: { returnGenericResponses: false, freshness: { withinSeconds: 600, gracePeriodSeconds: 0 } },
      });
    });
    after(async () => w?.close());

    it("a 300-character subject with a verified email of a confirmed account: a handshake error, nothing linked", async () => {
      const email = `long-sub-${++n}@example.com`;
      await w.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      w.idp.setAccount({ sub: "s".repeat(300), email, email_verified: true });
      const c = w.app.client();
      await expectRefused(w, c, async () => (await w.signInWith(c, "okta")).callback, {
        text: `${HANDSHAKE} (invalid_subject`,
        reason: "handshake:invalid_subject",
      });
      assert.deepEqual(await linksOf(w, email), []);
    });

    it("a 255-character subject is kept whole and signs in again", async () => {
      const email = `edge-sub-${++n}@example.com`;
      const sub = `${n}`.padEnd(255, "e");
      await w.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      w.idp.setAccount({ sub, email, email_verified: true });
      for (let i = 0; i < 2; i++) {
        const c = w.app.client();
        assert.equal((await w.signInWith(c, "okta")).callback.location, "/");
      }
      assert.deepEqual(await linksOf(w, email), [{ provider: "okta", subject: sub }]);
    });

    it("an email over 320 characters, linking from the account page: a handshake error, nothing linked", async () => {
      const email = `long-mail-${++n}@example.com`;
      await w.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      const c = w.app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);
      w.idp.setAccount({ sub: `long-mail-${n}`, email: `${"m".repeat(320)}@example.com`, email_verified: false });
      const { callback } = await w.signInWith(c, "okta", { route: "link" });
      assert.equal(callback.status, 302, callback.body);
      assert.equal(callback.location, "/oauth-accounts");
      const page = await c.get("/oauth-accounts");
      assert.ok(page.body.includes(escapeHtml(`${HANDSHAKE} (invalid_email`)), "the page shows the handshake error");
      assert.deepEqual(await linksOf(w, email), []);
    });
  });
}
