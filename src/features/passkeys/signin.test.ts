import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import {
  amrOf,
  createWanApp,
  finishSignin,
  PASSWORD,
  passkeySignin,
  signedIn,
  startSignin,
  userWithPasskey,
} from "./testing/signin-kit.js";

/**
 * Passkey sign-in as the first factor over HTTP (JSON), on every database: with and without an identity hint,
 * usernameless, the same answer for unknown identities, user verification and multi-factor, remember, tokens.
 */
for (const dialect of flowDialects()) {
  describe(`passkey sign-in, first factor (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect);
    });
    after(() => app.close());

    it("signs in with an identity hint: the options list the user's passkey; the answer is FS's", async () => {
      const email = "Pass-Key.Owner+hint@Sub.Example.test";
      const { auth, user } = await userWithPasskey(app, email);
      const c = app.client();
      const { options, state, csrf, reply } = await startSignin(c, { identity: email.toUpperCase() });
      assert.equal(reply.json.response.is_secondary, false);
      assert.equal(reply.json.response.remember, false);
      assert.equal(typeof reply.json.response.csrf_token, "string");
      assert.equal(options.rpId, "app.test");
      assert.deepEqual(
        options.allowCredentials.map((c: { id: string }) => c.id),
        [auth.credentials[0]!.idB64],
      );
      const done = await finishSignin(c, state, csrf, auth.get(options));
      assert.equal(done.status, 200, done.body);
      const r = done.json.response;
      assert.equal(r.user.email, user.email);
      assert.equal(r.tf_required, false);
      assert.equal(r.post_login_url, "/");
      assert.equal(typeof r.csrf_token, "string");
      assert.equal(r.user.authentication_token, undefined);
      assert.ok(await signedIn(c));
    });

    it("signs in without an identity (a discoverable passkey: empty allowCredentials)", async () => {
      const { auth } = await userWithPasskey(app, "usernameless.user@example.test");
      const c = app.client();
      const { options, state, csrf } = await startSignin(c);
      assert.deepEqual(options.allowCredentials, []);
      const done = await finishSignin(c, state, csrf, auth.get(options));
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.user.email, "usernameless.user@example.test");
      assert.ok(await signedIn(c));
    });

    it("an unknown identity, an inactive account and one without passkeys get the same answer shape", async () => {
      await app.rampart.api.createUser({ email: "no.passkeys@example.test", password: PASSWORD });
      const { user } = await userWithPasskey(app, "inactive.owner@example.test");
      await app.runtime.datastore.users.update(user.id, { active: false });
      const shapes = [];
      for (const identity of ["nobody.here@example.test", "no.passkeys@example.test", "inactive.owner@example.test"]) {
        const { reply, options } = await startSignin(app.client(), { identity });
        assert.equal(reply.status, 200);
        shapes.push({
          keys: Object.keys(reply.json.response).sort(),
          options: Object.keys(options).sort(),
          allow: options.allowCredentials,
          uv: options.userVerification,
        });
      }
      assert.deepEqual(shapes[0], shapes[1]);
      assert.deepEqual(shapes[0], shapes[2]);
      assert.deepEqual(shapes[0]!.allow, []);
    });

    it("include_auth_token: a token whose amr is pop + mfa (user verified); remember sets the remember cookie", async () => {
      const { auth } = await userWithPasskey(app, "Token.Owner+uv@example.test");
      const c = app.client();
      const done = await passkeySignin(
        c,
        auth,
        { identity: "token.owner+uv@example.test", remember: true },
        {},
        "?include_auth_token",
      );
      assert.equal(done.status, 200, done.body);
      assert.deepEqual(amrOf(done).sort(), ["mfa", "pop"]);
      assert.ok(
        done.setCookies.some((s) => /remember/i.test(s.split("=")[0]!) && !/max-age=0/i.test(s)),
        done.setCookies.join("\n"),
      );
      const plain = await passkeySignin(app.client(), auth, {}, { uv: false }, "?include_auth_token");
      assert.equal(plain.status, 200, plain.body);
      assert.deepEqual(amrOf(plain), ["pop"]);
      assert.ok(!plain.setCookies.some((s) => /remember/i.test(s.split("=")[0]!) && !/max-age=0/i.test(s)));
    });
  });
}

for (const dialect of flowDialects()) {
  describe(`passkey sign-in options by configuration (${dialect})`, () => {
    let noHints: TestApp;
    let uvRequired: TestApp;
    before(async () => {
      noHints = await createWanApp(dialect, { allowUserHints: false });
      uvRequired = await createWanApp(dialect, { userVerification: "required" });
    });
    after(async () => {
      await noHints.close();
      await uvRequired.close();
    });

    it("WAN_ALLOW_USER_HINTS off: an identity that has passkeys still gets discoverable options", async () => {
      const email = "hints.off@example.test";
      const { auth } = await userWithPasskey(noHints, email);
      const c = noHints.client();
      const { options, state, csrf } = await startSignin(c, { identity: email });
      assert.deepEqual(options.allowCredentials, []);
      assert.equal((await finishSignin(c, state, csrf, auth.get(options))).status, 200);
    });

    it("user verification required: asked in the options, and an answer without it is refused", async () => {
      const { auth } = await userWithPasskey(uvRequired, "uv.required@example.test");
      const c = uvRequired.client();
      const { options, state, csrf } = await startSignin(c);
      assert.equal(options.userVerification, "required");
      const r = await finishSignin(c, state, csrf, auth.get(options, { uv: false }));
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(r.json.response.error_codes, ["WEBAUTHN_NO_VERIFY"]);
      assert.equal(await signedIn(c), false);
      const ok = await passkeySignin(c, auth);
      assert.equal(ok.status, 200, ok.body);
    });

    it("an over-long identity is a 400 on that field, not a 500", async () => {
      const c = noHints.client();
      const csrf = await c.csrf();
      const r = await c.post("/wan-signin", {
        json: { identity: `${"a".repeat(400)}@example.test` },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(r.status, 400, r.body);
      assert.ok(r.json.response.field_errors.identity, r.body);
    });
  });
}
