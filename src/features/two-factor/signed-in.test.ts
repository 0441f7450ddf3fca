import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import { registrationFeature } from "../registration/index.js";
import { assertNothingGranted, createTfApp, PASSWORD, type TfApp } from "./testing/kit.js";

/**
 * Contract rows around an existing session: a signed-in caller posting /tf-validate with nothing pending is
 * signed out and denied; registration's auto-login cannot skip a required second factor.
 */
for (const dialect of flowDialects()) {
  describe(`two-factor and signed-in callers (${dialect})`, () => {
    let t: TfApp;
    const signedOut: string[] = [];
    before(async () => {
      t = await createTfApp(dialect, { required: true }, false, { registration: { enabled: true } }, [
        registrationFeature,
      ]);
      t.app.rampart.events.on("user_unauthenticated", ({ user }) => void signedOut.push(user.email));
    });
    after(() => t.app.close());

    it("registration with TWO_FACTOR_REQUIRED answers setup_from_login and signs nobody in", async () => {
      const c = t.app.client();
      const csrf = (await c.get("/register", { acceptJson: true })).json.response.csrf_token as string;
      const r = await c.post("/register", {
        json: { email: "newbie@x.test", password: PASSWORD, password_confirm: PASSWORD },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.tf_required, true);
      assert.equal(r.json.response.tf_state, "setup_from_login");
      assert.equal(r.json.response.user, undefined);
      assert.ok(await t.app.rampart.datastore.users.findByEmail("newbie@x.test"), "the account exists");
      await assertNothingGranted(t, c);
      const setup = await c.get("/tf-setup", { acceptJson: true });
      assert.equal(setup.status, 200, "the pending state leads to the setup");
    });

    it("a signed-in session posting /tf-validate without a pending login is signed out + TWO_FACTOR_PERMISSION_DENIED", async () => {
      const plain = await createTfApp(dialect);
      try {
        await plain.app.rampart.api.createUser({ email: "sam@x.test", password: PASSWORD });
        plain.app.rampart.events.on("user_unauthenticated", ({ user }) => void signedOut.push(user.email));
        const c = plain.app.client();
        const login = await c.login("sam@x.test", PASSWORD);
        assert.equal(login.status, 200, login.body);
        const cookies = c.cookieHeader();
        assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
        const r = await c.post("/tf-validate", {
          json: { code: "123456" },
          headers: { "x-csrf-token": login.json.response.csrf_token },
        });
        assert.equal(r.status, 400, r.body);
        assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
        assert.ok(signedOut.includes("sam@x.test"));
        assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401, "cookies cleared");
        const replay = await plain.app
          .client()
          .get("/api/protected", { acceptJson: true, headers: { cookie: cookies } });
        assert.equal(replay.status, 401, "the session ended on the server");
      } finally {
        await plain.app.close();
      }
    });
  });
}
