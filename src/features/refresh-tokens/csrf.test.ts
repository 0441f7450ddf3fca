import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { PASSWORD, newUser } from "./testing/kit.js";

/**
 * The refresh cookie is a credential the browser adds by itself: a request carrying it needs a CSRF token even
 * when it also presents an access token (someone else's, in the query string), at /refresh-token and /logout.
 */
const refreshCookie = (c: TestClient) => [...c.jar].find(([name]) => name.endsWith("fs_refresh"));

for (const dialect of flowDialects()) {
  describe(`CSRF and the refresh cookie (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect, config: { refreshTokens: { enabled: true }, lockout: { threshold: 100 } } });
    });
    after(() => app.close());

    async function victimAndAttacker() {
      const victim = app.client();
      const signedIn = await victim.login(await newUser(app, "Csrf.Victim"), PASSWORD, {}, "?include_auth_token");
      assert.equal(signedIn.status, 200, signedIn.body);
      const cookie = refreshCookie(victim);
      assert.ok(cookie, "the victim holds a refresh cookie");
      const own = await app.client().login(await newUser(app, "Csrf.Attacker"), PASSWORD, {}, "?include_auth_token");
      const token = own.json.response.user.authentication_token as string;
      assert.ok(token);
      // What a forged cross-site request carries: only the victim's refresh cookie, plus the attacker's token.
      const forged = app.client();
      forged.jar.set(cookie[0], cookie[1]);
      return { victim, cookie, token, forged };
    }

    it("POST /refresh-token?auth_token=<another user's token> with the victim's cookie and no CSRF token: 400, nothing rotated", async () => {
      const { victim, cookie, token, forged } = await victimAndAttacker();
      const r = await forged.post(`/refresh-token?auth_token=${encodeURIComponent(token)}`, { json: {} });
      assert.equal(r.status, 400, r.body);
      assert.ok(r.json.response.field_errors.csrf_token, r.body);
      assert.equal(r.json.response.user, undefined);
      assert.equal(refreshCookie(forged)?.[1], cookie[1], "no new cookie");
      const own = await victim.post("/refresh-token", { json: {}, headers: { "x-csrf-token": await victim.csrf() } });
      assert.equal(own.status, 200, own.body);
    });

    it("POST /logout?auth_token=<another user's token> with the victim's cookie and no CSRF token: 400, the family lives", async () => {
      const { victim, token, forged } = await victimAndAttacker();
      const r = await forged.post(`/logout?auth_token=${encodeURIComponent(token)}`, { json: {}, acceptJson: true });
      assert.equal(r.status, 400, r.body);
      assert.ok(r.json.response.field_errors.csrf_token, r.body);
      const own = await victim.post("/refresh-token", { json: {}, headers: { "x-csrf-token": await victim.csrf() } });
      assert.equal(own.status, 200, own.body);
    });
  });
}
