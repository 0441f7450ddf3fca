import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import {
  createTfApp,
  enrolAuthenticator,
  oath,
  PASSWORD,
  signInWithCode,
  toStepStart,
  type TfApp,
} from "./testing/kit.js";

/**
 * Decision 44 beyond /tf-setup: a unified sign-in method (it signs in without a second factor) and a new set of
 * recovery codes (each one replaces the second factor once) count as second factors. For a user with
 * two-factor, adding them needs the current second factor, not only a password re-authentication.
 */
for (const dialect of flowDialects()) {
  describe(`second-factor-equivalent credentials need the current second factor (${dialect})`, () => {
    let t: TfApp;
    const secrets = new Map<string, string>();
    before(async () => {
      t = await createTfApp(dialect, { recoveryCodes: true }, true, {
        freshness: { withinSeconds: 60 },
        unifiedSignin: { enabled: true },
      });
      for (const email of ["Pat.O-Neil+us@Sub.X.test", "rc.user-1@x.test", "fresh.proof@x.test"])
        secrets.set(email, await enrolAuthenticator(t, email));
      await t.app.rampart.api.createUser({ email: "no-2fa@x.test", password: PASSWORD });
    });
    after(() => t.app.close());

    /** Signed in with the code, then gone stale and re-authenticated with the password alone. */
    async function passwordFresh(email: string): Promise<{ c: TestClient; csrf: string }> {
      const { c, csrf } = await signInWithCode(t, email, secrets.get(email)!);
      t.advance(61);
      const v = await c.post("/us-verify", { json: { passcode: PASSWORD }, headers: { "x-csrf-token": csrf } });
      assert.equal(v.status, 200, v.body);
      return { c, csrf: v.json.response.csrf_token as string };
    }

    it("/us-setup after a password-only re-authentication → 401 TWO_FACTOR_FRESH_REQUIRED, nothing sent; with the current code → started and committed", async () => {
      const email = "Pat.O-Neil+us@Sub.X.test";
      const { c, csrf } = await passwordFresh(email);
      t.app.sink.clear();
      for (const chosen_method of ["authenticator", "email"]) {
        const r = await c.post("/us-setup", { json: { chosen_method }, headers: { "x-csrf-token": csrf } });
        assert.equal(r.status, 401, r.body);
        assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_FRESH_REQUIRED"]);
        assert.equal(r.json.response.state, undefined, "no setup state handed out");
      }
      assert.equal(t.app.sink.messages.length, 0, "no code mailed");
      const page = await c.post("/us-setup", { form: { chosen_method: "authenticator", csrf_token: csrf } });
      assert.equal(page.status, 401);
      assert.match(page.body, /Confirm your current second factor/);
      assert.match(
        page.body,
        /<label for="code-authenticator">[^<]+<\/label><input id="code-authenticator"[^>]*name="code"/,
        "the page asks for the current code",
      );
      const wrong = await c.post("/us-setup", {
        json: { chosen_method: "authenticator", code: oath(t, secrets.get(email)!, 300) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(wrong.status, 400, wrong.body);
      assert.deepEqual(wrong.json.response.field_errors, { code: ["Invalid code"] });

      toStepStart(t);
      const ok = await c.post("/us-setup", {
        json: { chosen_method: "authenticator", code: oath(t, secrets.get(email)!) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(ok.status, 200, ok.body);
      const done = await c.post(`/us-setup/${ok.json.response.state}`, {
        json: { passcode: oath(t, ok.json.response.authr_key) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(done.status, 200, done.body);
      const user = await t.app.rampart.datastore.users.findByEmail(email.toLowerCase());
      assert.match(user!.usTotpSecrets ?? "", /authenticator/);
    });

    it("/mf-recovery-codes after a password-only re-authentication → 401 TWO_FACTOR_FRESH_REQUIRED, no codes; with the current code → new codes", async () => {
      const email = "rc.user-1@x.test";
      const { c, csrf } = await passwordFresh(email);
      const before = (await t.app.rampart.datastore.users.findByEmail(email))!.mfRecoveryCodes;
      const r = await c.post("/mf-recovery-codes", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(r.status, 401, r.body);
      assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_FRESH_REQUIRED"]);
      assert.equal(r.json.response.recovery_codes, undefined);
      assert.equal((await t.app.rampart.datastore.users.findByEmail(email))!.mfRecoveryCodes, before, "nothing stored");
      const form = await c.post("/mf-recovery-codes", { form: { csrf_token: csrf } });
      assert.equal(form.status, 401);
      assert.match(form.body, /Confirm your current second factor/);
      assert.match(form.body, /name="code"/, "the page asks for the current code");
      toStepStart(t);
      const ok = await c.post("/mf-recovery-codes", {
        json: { code: oath(t, secrets.get(email)!) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(ok.status, 200, ok.body);
      assert.equal((ok.json.response.recovery_codes as string[]).length, 5);
    });

    it("a session whose sign-in proved the second factor (within the window) needs nothing more; users without two-factor need only freshness", async () => {
      const { c, csrf } = await signInWithCode(t, "fresh.proof@x.test", secrets.get("fresh.proof@x.test")!);
      assert.equal((await c.post("/mf-recovery-codes", { json: {}, headers: { "x-csrf-token": csrf } })).status, 200);
      const s = await c.post("/us-setup", {
        json: { chosen_method: "authenticator" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(s.status, 200, s.body);

      const plain = t.app.client();
      const login = await plain.login("no-2fa@x.test", PASSWORD);
      assert.equal(login.status, 200, login.body);
      const p = await plain.post("/us-setup", {
        json: { chosen_method: "authenticator" },
        headers: { "x-csrf-token": login.json.response.csrf_token },
      });
      assert.equal(p.status, 200, p.body);
    });

    it("a unified sign-in setup started before two-factor existed cannot be committed after it was set up", async () => {
      await t.app.rampart.api.createUser({ email: "early.state@x.test", password: PASSWORD });
      const c = t.app.client();
      const login = await c.login("early.state@x.test", PASSWORD);
      const csrf = login.json.response.csrf_token as string;
      const s = await c.post("/us-setup", {
        json: { chosen_method: "authenticator" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(s.status, 200, s.body);
      // Two-factor is set up meanwhile.
      const tf = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      toStepStart(t);
      assert.equal(
        (
          await c.post(`/tf-setup/${tf.json.response.tf_state_token}`, {
            json: { code: oath(t, tf.json.response.tf_authr_key) },
            headers: { "x-csrf-token": csrf },
          })
        ).status,
        200,
      );
      const late = await c.post(`/us-setup/${s.json.response.state}`, {
        json: { passcode: oath(t, s.json.response.authr_key) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(late.status, 400, late.body);
      assert.deepEqual(late.json.response.error_codes, ["API_ERROR"]);
      assert.equal((await t.app.rampart.datastore.users.findByEmail("early.state@x.test"))!.usTotpSecrets, null);
    });
  });
}
