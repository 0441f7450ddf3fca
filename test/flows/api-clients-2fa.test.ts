import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  PASSWORD,
  createTfApp,
  enrolAuthenticator,
  oath,
  toStepStart,
  type TfApp,
} from "../../src/features/two-factor/testing/kit.js";
import { flowDialects } from "../helpers/app.js";

/**
 * An API client whose user has a second factor (as api-tokens.md tells it): the sign-in starts without any cookie
 * or CSRF token, then the client keeps the cookies of that exchange and sends the CSRF token the answer carries.
 */
for (const dialect of flowDialects()) {
  describe(`two-factor sign-in of an API client (${dialect})`, { timeout: 120_000 }, () => {
    let t: TfApp;
    before(async () => {
      t = await createTfApp(dialect, {}, false, { refreshTokens: { enabled: true, cookieName: null } });
    });
    after(() => t.app.close());

    it("starts cookieless, finishes with the exchange's cookies and CSRF token, and gets both tokens", async () => {
      const email = `Api.Client-Tf+${dialect}@Sub.Example.test`;
      const secret = await enrolAuthenticator(t, email);
      toStepStart(t);
      const c = t.app.client();
      assert.equal(c.jar.size, 0);
      const pending = await c.post("/login?include_auth_token", { json: { email, password: PASSWORD } });
      assert.equal(pending.status, 200, pending.body);
      assert.equal(pending.json.response.tf_required, true);
      const csrf = pending.json.response.csrf_token as string;
      assert.ok(csrf);
      // Holding the exchange's cookies, the client is browser-like: the CSRF token is needed.
      const without = await c.post("/tf-validate?include_auth_token", { json: { code: oath(t, secret) } });
      assert.equal(without.status, 400);
      assert.deepEqual(without.json.response.error_codes, ["CSRF_MISSING"]);
      const done = await c.post("/tf-validate?include_auth_token", {
        json: { code: oath(t, secret) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(done.status, 200, done.body);
      const user = done.json.response.user;
      assert.ok(user.authentication_token && user.refresh_token, done.body);
      const api = await t.app
        .client()
        .get("/api/protected", { acceptJson: true, headers: { authorization: `Bearer ${user.authentication_token}` } });
      assert.equal(api.status, 200, api.body);
    });
  });
}
