import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { createTfApp, loginPending, oath, PASSWORD, toStepStart, validate, type TfApp } from "./testing/kit.js";

/** Authenticated opt-in without cookies (token auth + tf_state_token), and disabling. */
for (const dialect of flowDialects()) {
  describe(`two-factor setup by a signed-in user (${dialect})`, () => {
    let t: TfApp;
    const changed: string[] = [];
    const disabled: string[] = [];
    let optSecret: string | null = null;
    before(async () => {
      t = await createTfApp(dialect);
      t.app.rampart.events.on("tf_profile_changed", ({ user, method }) => void changed.push(`${user.email}:${method}`));
      t.app.rampart.events.on("tf_disabled", ({ user }) => void disabled.push(user.email));
      for (const email of ["opt@x.test", "late@x.test"])
        await t.app.rampart.api.createUser({ email, password: PASSWORD });
    });
    after(() => t.app.close());

    async function tokenOf(email: string): Promise<{ c: TestClient; auth: Record<string, string> }> {
      const c = t.app.client();
      const r = await c.login(email, PASSWORD, {}, "?include_auth_token");
      assert.equal(r.status, 200, r.body);
      const auth: Record<string, string> = {
        "authentication-token": r.json.response.user.authentication_token as string,
      };
      const c2 = t.app.client();
      const info = await c2.get("/tf-setup", { headers: { ...auth, accept: "application/json" } });
      assert.equal(info.status, 200, info.body);
      // Not required: "disable" is offered (contract item 83).
      assert.deepEqual(info.json.response.tf_available_methods, ["email", "authenticator", "sms", "disable"]);
      auth["x-csrf-token"] = info.json.response.csrf_token as string;
      return { c: c2, auth };
    }

    it("token caller: POST /tf-setup → tf_state_token; bad token → API_ERROR; wrong code → Invalid code; right → enabled; login then needs the code", async () => {
      const { c, auth } = await tokenOf("opt@x.test");
      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: auth });
      assert.equal(s.status, 200, s.body);
      const token = s.json.response.tf_state_token as string;
      assert.equal(typeof token, "string");
      const secret = s.json.response.tf_authr_key as string;
      optSecret = secret;
      const bad = await c.post("/tf-setup/not-a-token", { json: { code: oath(t, secret) }, headers: auth });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json.response.error_codes, ["API_ERROR"]);
      const wrong = await c.post(`/tf-setup/${token}`, { json: { code: oath(t, secret, 120) }, headers: auth });
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.json.response.field_errors, { code: ["Invalid code"] });
      assert.equal((await t.app.rampart.datastore.users.findByEmail("opt@x.test"))!.tfPrimaryMethod, null);
      const ok = await c.post(`/tf-setup/${token}`, { json: { code: oath(t, secret) }, headers: auth });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.json.response.tf_method, "authenticator");
      assert.ok(changed.includes("opt@x.test:authenticator"));
      const info = await c.get("/tf-setup", { headers: { ...auth, accept: "application/json" } });
      assert.equal(info.json.response.tf_primary_method, "authenticator");
      assert.ok(!info.body.includes(secret), "the stored secret is never returned");
      toStepStart(t);
      const c2 = t.app.client();
      const l = await loginPending(c2, "opt@x.test", "ready");
      assert.equal((await validate(c2, l.json.response.csrf_token, oath(t, secret))).status, 200);
    });

    it("an expired state token → Setup must be completed within 30 minutes", async () => {
      const { c, auth } = await tokenOf("late@x.test");
      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: auth });
      assert.equal(s.status, 200, s.body);
      t.advance(1801);
      const again = await tokenOf("late@x.test"); // auth tokens live 15 minutes; the state token 30
      const r = await again.c.post(`/tf-setup/${s.json.response.tf_state_token}`, {
        json: { code: oath(t, s.json.response.tf_authr_key) },
        headers: again.auth,
      });
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(r.json.response.errors, ["Setup must be completed within 30 minutes"]);
      assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_SETUP_EXPIRED"]);
    });

    it("a state token is bound to its user", async () => {
      const a = await tokenOf("late@x.test");
      const s = await a.c.post("/tf-setup", { json: { setup: "authenticator" }, headers: a.auth });
      await t.app.rampart.api.createUser({ email: "other@x.test", password: PASSWORD });
      const b = await tokenOf("other@x.test");
      const r = await b.c.post(`/tf-setup/${s.json.response.tf_state_token}`, {
        json: { code: oath(t, s.json.response.tf_authr_key) },
        headers: b.auth,
      });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["API_ERROR"]);
    });

    it("disable (token caller + current code): clears 2FA (event) so the next login needs only the password; anonymous → permission denied", async () => {
      toStepStart(t);
      const c = t.app.client();
      const l = await loginPending(c, "opt@x.test", "ready");
      const secretUser = await t.app.rampart.datastore.users.findByEmail("opt@x.test");
      assert.equal(secretUser!.tfPrimaryMethod, "authenticator");
      const enrolled = optSecret!;
      const v = await validate(c, l.json.response.csrf_token, oath(t, enrolled), "?include_auth_token");
      assert.equal(v.status, 200, v.body);
      const auth: Record<string, string> = {
        "authentication-token": v.json.response.user.authentication_token as string,
      };
      const tc = t.app.client();
      auth["x-csrf-token"] = (
        await tc.get("/tf-setup", { headers: { ...auth, accept: "application/json" } })
      ).json.response.csrf_token;
      // An auth token carries no second-factor proof (SECURITY I72): the current code must come along.
      const bare = await tc.post("/tf-setup", { json: { setup: "disable" }, headers: auth });
      assert.equal(bare.status, 401, bare.body);
      assert.deepEqual(bare.json.response.error_codes, ["TWO_FACTOR_FRESH_REQUIRED"]);
      t.advance(30); // the login's code step is spent
      const d = await tc.post("/tf-setup", { json: { setup: "disable", code: oath(t, enrolled) }, headers: auth });
      assert.equal(d.status, 200, d.body);
      assert.ok(disabled.includes("opt@x.test"));
      const after = await t.app.client().login("opt@x.test", PASSWORD);
      assert.equal(after.status, 200);
      assert.equal(after.json.response.tf_required, false);
      const anon = t.app.client();
      const r = await anon.post("/tf-setup", {
        json: { setup: "disable" },
        headers: { "x-csrf-token": await anon.csrf() },
      });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
    });
  });
}

describe("two-factor setup needs fresh authentication (sqlite)", () => {
  let t: TfApp;
  before(async () => {
    t = await createTfApp("sqlite", {}, false, { freshness: { withinSeconds: 60 } });
    await t.app.rampart.api.createUser({ email: "fresh@x.test", password: PASSWORD });
  });
  after(() => t.app.close());

  it("at +61 s POST /tf-setup → 401 reauth required; after POST /verify → 200", async () => {
    const c = t.app.client();
    const login = await c.login("fresh@x.test", PASSWORD);
    assert.equal(login.status, 200, login.body);
    t.advance(61);
    const csrf = (await c.get("/tf-setup", { acceptJson: true })).json.response.csrf_token as string;
    const stale = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
    assert.equal(stale.status, 401, stale.body);
    const verify = await c.post("/verify", { json: { password: PASSWORD }, headers: { "x-csrf-token": csrf } });
    assert.equal(verify.status, 200, verify.body);
    const csrf2 = verify.json.response.csrf_token as string;
    const ok = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf2 } });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(typeof ok.json.response.tf_state_token, "string");
  });
});
