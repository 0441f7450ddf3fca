import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { createTfApp, oath, PASSWORD, signInWithCode, toStepStart, validate, type TfApp } from "./testing/kit.js";

/**
 * A signed-in user's setup finished at /tf-validate, as Flask-Security: POST /tf-setup {setup} leaves a pending
 * "changing" state (validating_profile) that POST /tf-validate {code} completes; the user stays signed in.
 */
for (const dialect of flowDialects()) {
  describe(`two-factor setup by a signed-in user, finished at /tf-validate (${dialect})`, () => {
    let t: TfApp;
    const changed: string[] = [];
    before(async () => {
      t = await createTfApp(dialect);
      t.app.rampart.events.on("tf_profile_changed", ({ user, method }) => void changed.push(`${user.email}:${method}`));
    });
    after(() => t.app.close());

    async function signedIn(email: string): Promise<{ c: TestClient; csrf: string }> {
      await t.app.rampart.api.createUser({ email, password: PASSWORD });
      const c = t.app.client();
      const login = await c.login(email, PASSWORD);
      assert.equal(login.status, 200, login.body);
      assert.equal(login.json.response.tf_required, false);
      return { c, csrf: login.json.response.csrf_token as string };
    }

    it("POST /tf-setup answers the chosen method; a wrong code keeps 2FA off; the right code sets it up and keeps the session", async () => {
      const email = "Jo-Ann.O.Brien+tf@Mail.Example-Corp.test";
      const { c, csrf } = await signedIn(email);
      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      assert.equal(s.status, 200, s.body);
      assert.equal(s.json.response.tf_state, "validating_profile");
      assert.equal(s.json.response.tf_method, "authenticator");
      assert.equal(s.json.response.tf_primary_method, "authenticator", "the chosen method, as FS");
      assert.equal(typeof s.json.response.tf_state_token, "string", "the state-token path stays available");
      const secret = s.json.response.tf_authr_key as string;
      const form = await c.get("/tf-validate", { acceptJson: true });
      assert.equal(form.status, 200, form.body);
      assert.equal(typeof form.json.response.csrf_token, "string");
      assert.equal(form.json.response.user.email.toLowerCase(), email.toLowerCase());
      toStepStart(t);

      const wrong = await validate(c, csrf, oath(t, secret, 120));
      assert.equal(wrong.status, 400, wrong.body);
      assert.deepEqual(wrong.json.response.field_errors, { code: ["Invalid code"] });
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200, "a wrong code does not sign out");
      assert.equal((await t.app.rampart.datastore.users.findByEmail(email))!.tfPrimaryMethod, null);

      const ok = await validate(c, csrf, oath(t, secret));
      assert.equal(ok.status, 200, ok.body);
      assert.equal(typeof ok.json.response.user, "object");
      assert.equal(typeof ok.json.response.csrf_token, "string");
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200, "still signed in");
      assert.equal((await t.app.rampart.datastore.users.findByEmail(email))!.tfPrimaryMethod, "authenticator");
      assert.ok(changed.some((x) => x.toLowerCase() === `${email}:authenticator`.toLowerCase()));
      const info = await c.get("/tf-setup", { acceptJson: true });
      assert.equal(info.json.response.tf_primary_method, "authenticator");

      // The next sign-in needs the new authenticator.
      toStepStart(t);
      const c2 = t.app.client();
      const l = await c2.login(email, PASSWORD);
      assert.equal(l.json.response.tf_state, "ready");
      assert.equal((await validate(c2, l.json.response.csrf_token, oath(t, secret))).status, 200);
    });

    it("the pending change is single-use, bound to its user, and dies with the session", async () => {
      const { c, csrf } = await signedIn("replay@x.test");
      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      const secret = s.json.response.tf_authr_key as string;
      const pendingCookie = c.jar.get("__Host-rampart_tf");
      assert.ok(pendingCookie, "a pending cookie is set");

      // Another signed-in user presenting this cookie gets nothing (and is signed out, as FS does for a stray code).
      const other = await signedIn("other-user@x.test");
      const stolen = await other.c.post("/tf-validate", {
        json: { code: oath(t, secret) },
        headers: {
          "x-csrf-token": other.csrf,
          cookie: `${other.c.cookieHeader()}; __Host-rampart_tf=${pendingCookie}`,
        },
      });
      assert.equal(stolen.status, 400, stolen.body);
      assert.deepEqual(stolen.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
      assert.equal((await t.app.rampart.datastore.users.findByEmail("other-user@x.test"))!.tfPrimaryMethod, null);

      // Anonymous (signed out) with the cookie: denied, nothing committed.
      const anon = t.app.client();
      const anonCsrf = await anon.csrf();
      const a = await anon.post("/tf-validate", {
        json: { code: oath(t, secret) },
        headers: { "x-csrf-token": anonCsrf, cookie: `${anon.cookieHeader()}; __Host-rampart_tf=${pendingCookie}` },
      });
      assert.equal(a.status, 400, a.body);
      assert.deepEqual(a.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
      assert.equal((await t.app.rampart.datastore.users.findByEmail("replay@x.test"))!.tfPrimaryMethod, null);

      toStepStart(t);
      const ok = await validate(c, csrf, oath(t, secret));
      assert.equal(ok.status, 200, ok.body);
      const replay = await c.post("/tf-validate", {
        json: { code: oath(t, secret) },
        headers: { "x-csrf-token": csrf, cookie: `${c.cookieHeader()}; __Host-rampart_tf=${pendingCookie}` },
      });
      assert.equal(replay.status, 400, replay.body);
      assert.deepEqual(replay.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
    });

    /** The amr a new access token carries (its signed payload: base64url JSON before the signature). */
    const amrOf = (reply: { json: any; body: string }) => {
      assert.equal(typeof reply.json.response.user?.authentication_token, "string", reply.body);
      const [body] = (reply.json.response.user.authentication_token as string).split(".");
      return JSON.parse(Buffer.from(body!, "base64url").toString("utf8")).amr as string[];
    };

    it("tokens from a change keep what the caller proved plus the new method: no mfa from a factor just enrolled", async () => {
      // Session signed in with a password only.
      const { c, csrf } = await signedIn("Amr.Session+pwd@Sub.Example.test");
      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      toStepStart(t);
      const v = await validate(c, csrf, oath(t, s.json.response.tf_authr_key as string), "?include_auth_token");
      assert.equal(v.status, 200, v.body);
      assert.deepEqual(amrOf(v), ["pwd", "otp"]);

      // Token caller (password-only token).
      const email = "amr.token-pwd@example.test";
      await t.app.rampart.api.createUser({ email, password: PASSWORD });
      const login = await t.app.client().login(email, PASSWORD, {}, "?include_auth_token");
      assert.deepEqual(amrOf(login), ["pwd"]);
      const auth: Record<string, string> = { "authentication-token": login.json.response.user.authentication_token };
      const tc = t.app.client();
      const info = await tc.get("/tf-setup", { headers: { ...auth, accept: "application/json" } });
      auth["x-csrf-token"] = info.json.response.csrf_token as string;
      const ts = await tc.post("/tf-setup", { json: { setup: "authenticator" }, headers: auth });
      assert.equal(ts.status, 200, ts.body);
      const secret = ts.json.response.tf_authr_key as string;
      toStepStart(t);
      const tv = await tc.post("/tf-validate?include_auth_token", { json: { code: oath(t, secret) }, headers: auth });
      assert.equal(tv.status, 200, tv.body);
      assert.deepEqual(amrOf(tv), ["pwd", "otp"]);
      // The guard reports the same to the app.
      const how = await tc.get("/api/protected", {
        acceptJson: true,
        headers: { "authentication-token": tv.json.response.user.authentication_token },
      });
      assert.equal(how.status, 200, how.body);

      // A caller who proved the second factor keeps mfa.
      const { c: mc, csrf: mcsrf } = await signInWithCode(t, email, secret);
      const m = await mc.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": mcsrf } });
      assert.equal(m.status, 200, m.body);
      t.advance(30);
      const mv = await validate(mc, mcsrf, oath(t, m.json.response.tf_authr_key as string), "?include_auth_token");
      assert.equal(mv.status, 200, mv.body);
      assert.deepEqual(amrOf(mv), ["pwd", "otp", "mfa"]);
    });

    it("replacing an existing method: the new secret replaces the old one only after its code", async () => {
      const { c: first, csrf: firstCsrf } = await signedIn("swap@x.test");
      const s1 = await first.post("/tf-setup", {
        json: { setup: "authenticator" },
        headers: { "x-csrf-token": firstCsrf },
      });
      const old = s1.json.response.tf_authr_key as string;
      toStepStart(t);
      assert.equal((await validate(first, firstCsrf, oath(t, old))).status, 200);

      // A session whose sign-in proved the second factor may replace it.
      const { c, csrf } = await signInWithCode(t, "swap@x.test", old);
      const s2 = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      assert.equal(s2.status, 200, s2.body);
      const next = s2.json.response.tf_authr_key as string;
      assert.notEqual(next, old);
      t.advance(30);
      const withOld = await validate(c, csrf, oath(t, old));
      assert.equal(withOld.status, 400, "the old authenticator does not confirm the new secret");
      const ok = await validate(c, csrf, oath(t, next));
      assert.equal(ok.status, 200, ok.body);
      toStepStart(t);
      const c3 = t.app.client();
      const l = await c3.login("swap@x.test", PASSWORD);
      assert.equal((await validate(c3, l.json.response.csrf_token, oath(t, old))).status, 400);
      assert.equal((await validate(c3, l.json.response.csrf_token, oath(t, next))).status, 200);
    });

    it("a pending change that /tf-setup/<state> already completed cannot commit again", async () => {
      const { c, csrf } = await signedIn("both-paths@x.test");
      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      const secret = s.json.response.tf_authr_key as string;
      const pendingCookie = c.jar.get("__Host-rampart_tf")!;
      toStepStart(t);
      const viaToken = await c.post(`/tf-setup/${s.json.response.tf_state_token}`, {
        json: { code: oath(t, secret) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(viaToken.status, 200, viaToken.body);
      assert.equal(c.jar.get("__Host-rampart_tf"), undefined, "the state-token path clears the pending cookie");
      t.advance(30);
      const again = await c.post("/tf-validate", {
        json: { code: oath(t, secret) },
        headers: { "x-csrf-token": csrf, cookie: `${c.cookieHeader()}; __Host-rampart_tf=${pendingCookie}` },
      });
      assert.equal(again.status, 400, again.body);
      assert.deepEqual(again.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
    });
  });
}

describe("two-factor set-up page for a signed-in user (sqlite, form posts)", () => {
  let t: TfApp;
  before(async () => {
    t = await createTfApp("sqlite");
    await t.app.rampart.api.createUser({ email: "page.user-1@sub.x.test", password: PASSWORD });
  });
  after(() => t.app.close());

  it("choose authenticator → QR and a code field → code → back on the set-up page with a success message, still signed in", async () => {
    const c = t.app.client();
    const login = await c.post("/login", {
      form: { email: "page.user-1@sub.x.test", password: PASSWORD, csrf_token: await c.csrf() },
    });
    assert.equal(login.status, 302, login.body);
    const page = await c.get("/tf-setup");
    assert.equal(page.status, 200);
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1]!;
    const chosen = await c.post("/tf-setup", { form: { setup: "authenticator", csrf_token: csrf } });
    assert.equal(chosen.status, 200, chosen.body);
    assert.match(chosen.body, /<img src="data:image\/png;base64,/);
    assert.match(chosen.body, /id="tf-code-form"/, "the page offers the code field");
    const action = /<form[^>]*action="([^"]+)"[^>]*id="tf-code-form"|id="tf-code-form"[^>]*action="([^"]+)"/.exec(
      chosen.body,
    );
    assert.ok(action, chosen.body);
    const key = /<code>([A-Z2-7]+)<\/code>/.exec(chosen.body)![1]!;
    const codeCsrf = /id="tf-code-form"[\s\S]*?name="csrf_token" value="([^"]+)"/.exec(chosen.body)![1]!;
    const target = new URL(action[1] ?? action[2]!, "https://app.test").pathname;
    toStepStart(t);
    const wrong = await c.post(target, { form: { code: oath(t, key, 120), csrf_token: codeCsrf } });
    assert.equal(wrong.status, 200);
    assert.match(wrong.body, /Invalid code/);
    const done = await c.post(target, { form: { code: oath(t, key), csrf_token: codeCsrf } });
    assert.equal(done.status, 302, done.body);
    assert.equal(new URL(done.location!, "https://app.test").pathname, "/tf-setup");
    const landed = await c.get("/tf-setup");
    assert.match(landed.body, /You successfully changed your two-factor method\./);
    assert.match(landed.body, /Current method: authenticator/);
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200, "still signed in");
    assert.equal(
      (await t.app.rampart.datastore.users.findByEmail("page.user-1@sub.x.test"))!.tfPrimaryMethod,
      "authenticator",
    );
  });
});
