import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import type { TestClient } from "../helpers/client.js";

/**
 * SECURITY_FRESHNESS_GRACE_PERIOD, as Flask-Security: a freshness check that passes starts (or extends) a grace
 * period during which later checks pass even once the authentication is older than SECURITY_FRESHNESS. Observed
 * on a real fresh-only endpoint (/change-email) with the clock moved.
 */
const PASSWORD = "correct horse battery";
const WITHIN = 600;
const GRACE = 300;

for (const dialect of flowDialects()) {
  describe(`freshness grace period (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await createTestApp({
        dialect,
        config: { changeEmail: { enable: true }, freshness: { withinSeconds: WITHIN, gracePeriodSeconds: GRACE } },
      });
    });
    after(() => app.close());

    async function signedIn(
      extra: Record<string, unknown> = {},
      query = "",
    ): Promise<{ c: TestClient; token?: string }> {
      const email = `Grace-${++n}.x+${dialect}@Sub.Example-Host.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD });
      const c = app.client();
      const r = await c.login(email, PASSWORD, extra, query);
      assert.equal(r.status, 200);
      return { c, token: r.json.response.user?.authentication_token };
    }
    const json = async (c: TestClient, headers: Record<string, string> = {}) => {
      const r = await c.get("/change-email", { acceptJson: true, headers });
      return r.status === 401 ? (r.json.response.reauth_required === true ? "reauth" : "401") : r.status;
    };

    it("a passing check starts a grace period that each later check extends; without checks it runs out", async () => {
      const { c } = await signedIn();
      app.advance(WITHIN - 50);
      assert.equal(await json(c), 200, "fresh: starts the grace period");
      app.advance(150); // authentication now WITHIN + 100 old
      assert.equal(await json(c), 200, "in the grace period");
      app.advance(GRACE - 10);
      assert.equal(await json(c), 200, "the previous check extended it");
      app.advance(GRACE + 1);
      assert.equal(await json(c), "reauth", "the grace period ran out");
      const html = await c.get("/change-email");
      assert.equal(html.status, 302, "HTML: to /verify");
      assert.match(html.location ?? "", /\/verify/);
      app.advance(-(WITHIN - 50 + 150 + GRACE - 10 + GRACE + 1));
    });

    it("no grace period without a passing check, and none for auth tokens", async () => {
      const { c } = await signedIn();
      app.advance(WITHIN + 1);
      assert.equal(await json(c), "reauth", "stale at the first check: nothing to extend");
      app.advance(-(WITHIN + 1));

      const { token } = await signedIn({}, "?include_auth_token");
      assert.ok(token);
      const t = app.client();
      const auth = { "authentication-token": token! };
      app.advance(WITHIN - 50);
      assert.equal(await json(t, auth), 200);
      app.advance(150);
      assert.notEqual(await json(t, auth), 200, "tokens carry no grace period (as FS)");
      app.advance(-(WITHIN + 100));
    });
  });
}
