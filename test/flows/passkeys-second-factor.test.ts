import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { amrOf, finishSignin, signedIn, startSignin } from "../../src/features/passkeys/testing/signin-kit.js";
import { formById, optionsOnPage, register } from "../../src/features/passkeys/testing/register-kit.js";

/**
 * Registration (part A) feeding the second factor (part B), over HTTP on every database: a browser adds a
 * "secondary" passkey with form posts, an SPA adds a "first" one; after signing out, the password asks for the
 * passkey (tf_method webauthn), the "first" passkey cannot answer that step, the "secondary" one completes it.
 */
const PASSWORD = "correct horse battery";
const ORIGIN = "https://app.test";

for (const dialect of flowDialects()) {
  describe(`passkey second factor after registering over HTTP (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        config: {
          webauthn: { enabled: true },
          twoFactor: { enabled: true },
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
          lockout: { threshold: 100 },
        } as never,
      });
    });
    after(() => app.close());

    it("form-registered secondary passkey is asked after the password; the first passkey cannot answer it", async () => {
      const email = `Pass-Key.Owner+tf.${dialect}@Sub.Example.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD });

      // An SPA adds a first-factor passkey over JSON (before 2FA is set up, the password alone signs in).
      const spa = app.client();
      assert.equal((await spa.login(email, PASSWORD)).status, 200);
      const first = new SoftAuthenticator({ origin: ORIGIN });
      const reg = await register(spa, first, "Phone", "first");
      assert.equal(reg.status, 200, reg.body);

      // A browser signs in with the login form and adds a secondary passkey with form posts.
      const browser = app.client();
      const login = await browser.get("/login");
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(login.body)![1]!;
      assert.equal(
        (await browser.post("/login", { form: { csrf_token: csrf, email, password: PASSWORD } })).status,
        302,
      );
      const list = await browser.get("/wan-register");
      const add = formById(list.body, "wan-register-form");
      const started = await browser.post(add.action, {
        form: { csrf_token: add.csrf, name: "Security key", usage: "secondary" },
      });
      assert.equal(started.status, 200, started.body);
      const form = formById(started.body, "wan-register-response-form");
      const second = new SoftAuthenticator({ origin: ORIGIN, uv: false });
      const added = await browser.post(form.action, {
        form: { csrf_token: form.csrf, credential: JSON.stringify(second.create(optionsOnPage(started.body))) },
      });
      assert.equal(added.status, 302, added.body);

      // A new client: the password alone is not enough.
      const c = app.client();
      const pw = await c.login(email.toLowerCase(), PASSWORD);
      assert.equal(pw.status, 200, pw.body);
      assert.equal(pw.json.response.tf_required, true);
      assert.equal(pw.json.response.tf_method, "webauthn");
      assert.equal(await signedIn(c), false);

      const wrong = await startSignin(c);
      assert.equal(wrong.reply.json.response.is_secondary, true);
      const refused = await finishSignin(
        c,
        wrong.state,
        wrong.csrf,
        first.get({ ...wrong.options, allowCredentials: [] }),
      );
      assert.equal(refused.status, 400, refused.body);
      assert.deepEqual(refused.json.response.error_codes, ["WEBAUTHN_CREDENTIAL_WRONG_USAGE"]);
      assert.equal(await signedIn(c), false);

      const step = await startSignin(c);
      assert.equal(step.reply.json.response.is_secondary, true);
      const done = await finishSignin(c, step.state, step.csrf, second.get(step.options), "?include_auth_token");
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.tf_required, false);
      assert.deepEqual(amrOf(done).sort(), ["mfa", "pop", "pwd"]);
      assert.ok(await signedIn(c));
    });
  });
}
