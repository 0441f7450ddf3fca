import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import {
  assertNothingGranted,
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  PASSWORD,
  toStepStart,
  validate,
  type TfApp,
} from "./testing/kit.js";

for (const dialect of flowDialects()) {
  describe(`two-factor, authenticator (${dialect})`, () => {
    let t: TfApp;
    let aliceSecret: string;
    const confirmed: string[] = [];
    const failed: string[] = [];
    before(async () => {
      t = await createTfApp(dialect);
      t.app.rampart.events.on(
        "tf_code_confirmed",
        ({ user, method }) => void confirmed.push(`${user.email}:${method}`),
      );
      t.app.rampart.events.on(
        "user_failed_authn",
        ({ user, authType }) => void failed.push(`${user?.email}:${authType}`),
      );
      aliceSecret = await enrolAuthenticator(t, "alice@x.test");
      await t.app.rampart.api.createUser({ email: "plain@x.test", password: PASSWORD });
    });
    after(() => t.app.close());

    it("a 2FA user's password login grants nothing until /tf-validate; wrong code → Invalid code; right code → signed in", async () => {
      toStepStart(t);
      const c = t.app.client();
      const login = await loginPending(c, "alice@x.test", "ready");
      assert.equal(login.json.response.tf_method, "authenticator");
      assert.equal(login.json.response.tf_primary_method, "authenticator");
      assert.ok(c.jar.has("__Host-rampart_tf"), "pending cookie set");
      const setCookie = login.setCookies.find((s) => s.startsWith("__Host-rampart_tf="))!;
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /SameSite=Lax/i);
      assert.match(setCookie, /Secure/i);
      await assertNothingGranted(t, c);
      const csrf = login.json.response.csrf_token as string;

      const wrong = await validate(c, csrf, oath(t, aliceSecret) === "000000" ? "111111" : "000000");
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.json.response.field_errors, { code: ["Invalid code"] });
      assert.ok(wrong.json.response.error_codes.includes("TWO_FACTOR_INVALID_TOKEN"));
      assert.ok(failed.includes("alice@x.test:tf"));
      await assertNothingGranted(t, c);

      const ok = await validate(c, csrf, oath(t, aliceSecret), "?include_auth_token");
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.json.response.user.email, "alice@x.test");
      assert.equal(typeof ok.json.response.csrf_token, "string");
      assert.equal(typeof ok.json.response.user.authentication_token, "string");
      assert.ok(!c.jar.has("__Host-rampart_tf"), "pending cookie cleared");
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
      assert.ok(confirmed.includes("alice@x.test:authenticator"));
      // The pending cookie is single-use: a saved copy plus a later valid code signs nobody in.
      const pendingCopy = login.setCookies.find((s) => s.startsWith("__Host-rampart_tf="))!.split(";")[0]!;
      t.advance(30);
      const thief = t.app.client();
      const tcsrf = await thief.csrf();
      const replay = await thief.post("/tf-validate", {
        json: { code: oath(t, aliceSecret) },
        headers: { "x-csrf-token": tcsrf, cookie: `${thief.cookieHeader()}; ${pendingCopy}` },
      });
      assert.equal(replay.status, 400, replay.body);
      assert.deepEqual(replay.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
    });

    it("a code is accepted once: the same code in the same step after logout is refused; the next step's code works", async () => {
      toStepStart(t);
      const c = t.app.client();
      const first = await loginPending(c, "alice@x.test", "ready");
      const code = oath(t, aliceSecret);
      assert.equal((await validate(c, first.json.response.csrf_token, code)).status, 200);
      const logout = await c.post("/logout", {
        acceptJson: true,
        headers: { "x-csrf-token": (await c.get("/login", { acceptJson: true })).json.response.csrf_token },
      });
      assert.ok(logout.status < 400, logout.body);
      const again = await loginPending(t.app.client(), "alice@x.test", "ready");
      const c2 = t.app.client();
      const second = await loginPending(c2, "alice@x.test", "ready");
      void again;
      const replay = await validate(c2, second.json.response.csrf_token, code);
      assert.equal(replay.status, 400);
      assert.deepEqual(replay.json.response.field_errors, { code: ["Invalid code"] });
      // A code for the step before the one used is refused too.
      assert.equal((await validate(c2, second.json.response.csrf_token, oath(t, aliceSecret, -30))).status, 400);
      t.advance(30);
      assert.equal((await validate(c2, second.json.response.csrf_token, oath(t, aliceSecret))).status, 200);
    });

    it("window is ±1 step: codes for t±2 are refused, t−1 is accepted once", async () => {
      toStepStart(t);
      toStepStart(t); // the step before now was never used
      t.advance(5);
      const c = t.app.client();
      const login = await loginPending(c, "alice@x.test", "ready");
      const csrf = login.json.response.csrf_token as string;
      assert.equal((await validate(c, csrf, oath(t, aliceSecret, -60))).status, 400);
      assert.equal((await validate(c, csrf, oath(t, aliceSecret, 60))).status, 400);
      const previous = oath(t, aliceSecret, -30);
      assert.equal((await validate(c, csrf, previous)).status, 200);
      const c2 = t.app.client();
      const again = await loginPending(c2, "alice@x.test", "ready");
      assert.equal((await validate(c2, again.json.response.csrf_token, previous)).status, 400, "t−1 only once");
    });

    it("a user without 2FA signs in with the password alone (tf_required false)", async () => {
      const r = await t.app.client().login("plain@x.test", PASSWORD);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.tf_required, false);
      assert.equal(r.json.response.user.email, "plain@x.test");
    });

    it("/tf-validate without a pending login → JSON 400 TWO_FACTOR_PERMISSION_DENIED, HTML 302 to /login", async () => {
      const c = t.app.client();
      const csrf = await c.csrf();
      const r = await validate(c, csrf, "123456");
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
      const g = await c.get("/tf-validate", { acceptJson: true });
      assert.equal(g.status, 400);
      const h = await c.post("/tf-validate", { form: { code: "123456", csrf_token: csrf } });
      assert.equal(h.status, 302);
      assert.match(h.location ?? "", /\/login$/);
      const forged = await t.app.client().post("/tf-validate", {
        json: { code: "123456" },
        headers: { cookie: "__Host-rampart_tf=eyJ1IjoieCJ9.AAAA", "x-csrf-token": csrf },
      });
      assert.ok(forged.status === 400 || forged.status === 403, forged.body);
    });

    it("wrong input types → 400 API_ERROR, never 500", async () => {
      const c = t.app.client();
      const login = await loginPending(c, "alice@x.test", "ready");
      const r = await c.post("/tf-validate", {
        json: { code: { $gt: "" } },
        headers: { "x-csrf-token": login.json.response.csrf_token },
      });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["API_ERROR"]);
    });
  });
}

for (const dialect of flowDialects()) {
  describe(`two-factor required, setup from login (${dialect})`, () => {
    let t: TfApp;
    before(async () => {
      t = await createTfApp(dialect, { required: true });
      await t.app.rampart.api.createUser({ email: "new@x.test", password: PASSWORD });
    });
    after(() => t.app.close());

    it("login → setup_from_login → authenticator setup → wrong code keeps 2FA off → right code stores it and signs in", async () => {
      const c = t.app.client();
      const login = await loginPending(c, "new@x.test", "setup_from_login");
      await assertNothingGranted(t, c);
      const csrf = login.json.response.csrf_token as string;
      const info = await c.get("/tf-setup", { acceptJson: true });
      assert.equal(info.status, 200, info.body);
      assert.deepEqual(info.json.response.tf_available_methods, ["email", "authenticator", "sms"]);
      assert.equal(info.json.response.tf_required, true);
      // Not yet validated: /tf-validate refuses the setup_from_login state.
      assert.equal((await validate(c, csrf, "123456")).status, 400);

      const bad = await c.post("/tf-setup", { json: { setup: "carrier-pigeon" }, headers: { "x-csrf-token": csrf } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json.response.field_errors, { setup: ["Marked method is not valid"] });

      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      assert.equal(s.status, 200, s.body);
      const r = s.json.response;
      assert.equal(r.tf_state, "validating_profile");
      assert.equal(r.tf_method, "authenticator");
      assert.equal(r.tf_state_token, null);
      assert.ok(r.tf_authr_key.length >= 32 && /^[A-Z2-7]+$/.test(r.tf_authr_key));
      assert.equal(r.tf_authr_b32key, r.tf_authr_key);
      assert.equal(r.tf_authr_username, "new@x.test");
      assert.equal(r.tf_authr_issuer, "Rampart Test");
      assert.match(r.tf_authr_uri, /^otpauth:\/\/totp\//);
      assert.match(s.headers.get("cache-control") ?? "", /no-store/);
      await assertNothingGranted(t, c);

      const wrong = await validate(c, csrf, oath(t, r.tf_authr_key, 120));
      assert.equal(wrong.status, 400);
      const stored = await t.app.rampart.datastore.users.findByEmail("new@x.test");
      assert.equal(stored!.tfPrimaryMethod, null, "nothing stored before a correct code");
      assert.equal(stored!.tfTotpSecret, null);

      const ok = await validate(c, csrf, oath(t, r.tf_authr_key));
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.json.response.user.email, "new@x.test");
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
      const after = await t.app.rampart.datastore.users.findByEmail("new@x.test");
      assert.equal(after!.tfPrimaryMethod, "authenticator");
      assert.ok(after!.tfTotpSecret && !after!.tfTotpSecret.includes(r.tf_authr_key), "secret stored sealed");
      // Once enabled, no endpoint returns the secret.
      const page = await c.get("/tf-setup", { acceptJson: true });
      assert.equal(page.status, 200);
      assert.ok(!page.body.includes(r.tf_authr_key));
      assert.equal(page.json.response.tf_primary_method, "authenticator");

      // Next login asks for the code.
      toStepStart(t);
      await loginPending(t.app.client(), "new@x.test", "ready");
    });

    it("two interleaved setups: only the secret that was validated becomes active", async () => {
      await t.app.rampart.api.createUser({ email: "twice@x.test", password: PASSWORD });
      const a = t.app.client();
      const b = t.app.client();
      const la = await loginPending(a, "twice@x.test", "setup_from_login");
      const lb = await loginPending(b, "twice@x.test", "setup_from_login");
      const sa = await a.post("/tf-setup", {
        json: { setup: "authenticator" },
        headers: { "x-csrf-token": la.json.response.csrf_token },
      });
      const sb = await b.post("/tf-setup", {
        json: { setup: "authenticator" },
        headers: { "x-csrf-token": lb.json.response.csrf_token },
      });
      assert.notEqual(sa.json.response.tf_authr_key, sb.json.response.tf_authr_key);
      assert.equal(
        (await validate(b, lb.json.response.csrf_token, oath(t, sb.json.response.tf_authr_key))).status,
        200,
      );
      toStepStart(t);
      const c = t.app.client();
      const l = await loginPending(c, "twice@x.test", "ready");
      assert.equal((await validate(c, l.json.response.csrf_token, oath(t, sa.json.response.tf_authr_key))).status, 400);
      assert.equal((await validate(c, l.json.response.csrf_token, oath(t, sb.json.response.tf_authr_key))).status, 200);
    });

    it("the pending login expires after pendingWithinSeconds", async () => {
      await t.app.rampart.api.createUser({ email: "slow@x.test", password: PASSWORD });
      const c = t.app.client();
      const l = await loginPending(c, "slow@x.test", "setup_from_login");
      t.advance(601);
      const s = await c.post("/tf-setup", {
        json: { setup: "authenticator" },
        headers: { "x-csrf-token": l.json.response.csrf_token },
      });
      assert.equal(s.status, 400);
      assert.deepEqual(s.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
    });
  });
}
