import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import type { Feature } from "../../core/feature.js";
import { jsonResponse, plainErrorJson } from "../../core/http/respond.js";
import type { UserRecord } from "../../datastore/contracts.js";
import type { AuthnMethod } from "../../core/methods.js";

// The test's plugin factor: second-factor methods are a closed union each factor's feature grows.
declare module "../../core/audit.js" {
  interface AuditEvents {
    wan_signin: true;
  }
}
declare module "../../core/methods.js" {
  interface SecondFactorMethods {
    webauthn: true;
  }
}
import {
  assertNothingGranted,
  createTfApp,
  enrolAuthenticator,
  oath,
  PASSWORD,
  toStepStart,
  validate,
  type TfApp,
} from "./testing/kit.js";

/**
 * /tf-select with a test-only second factor "webauthn" provided through services.secondFactors (the real
 * WebAuthn feature will be the first production plugin). Its sign-in page completes the pending sign-in
 * with `pipeline.resume`, as a real plugin must.
 */
const keyed = new Set<string>();
const begun = new Map<string, { user: UserRecord; remember: boolean; authnVia: AuthnMethod[] }>();
const passkeyFeature: Feature = {
  name: "test-passkey",
  provides: () => ({
    secondFactors: [
      {
        name: "webauthn",
        isSetUp: (user) => keyed.has(user.email),
        async begin(_ctx, user, attempt) {
          const state = randomUUID();
          begun.set(state, { user, ...attempt });
          return { tf_signin_url: `/test-wan-signin/${state}` };
        },
      },
    ],
  }),
  routes: () => [
    {
      method: "POST",
      path: "/test-wan-signin/:state",
      auth: "anonymous-only",
      csrfExempt: true,
      // It completes the pending sign-in (a credential check that can answer 429).
      limits: ["credential"],
      async handler(ctx, _caller, params) {
        const b = begun.get(params.state ?? "");
        begun.delete(params.state ?? "");
        if (!b) return plainErrorJson(ctx, 400, [{ code: "API_ERROR" }]);
        // A factor completes the pending sign-in through the pipeline, which verifies it and runs every check.
        const r = await ctx.rt.pipeline.resume(ctx, await ctx.rt.pipeline.pending(ctx), {
          method: "webauthn",
          credential: {
            kind: "webauthn",
            audit: "wan_signin",
            limit: { spec: { name: "wan", points: 5, durationSeconds: 300 }, key: String(b.user.id) },
            verify: async (user) => ({ valid: user.id === b.user.id }),
          },
          includeAuthToken: false,
        });
        return jsonResponse(ctx, r.kind === "signed-in" ? 200 : 400, { signed_in: r.kind === "signed-in" });
      },
    },
  ],
};

async function enrolEmail(t: TfApp, email: string): Promise<void> {
  await t.app.rampart.api.createUser({ email, password: PASSWORD });
  const c = t.app.client();
  const csrf = (await c.login(email, PASSWORD)).json.response.csrf_token as string;
  t.app.sink.clear();
  const s = await c.post("/tf-setup", { json: { setup: "email" }, headers: { "x-csrf-token": csrf } });
  assert.equal(s.status, 200, s.body);
  const done = await c.post(`/tf-setup/${s.json.response.tf_state_token}`, {
    json: { code: await mailedCode(t, email) },
    headers: { "x-csrf-token": csrf },
  });
  assert.equal(done.status, 200, done.body);
}

async function mailedCode(t: TfApp, email: string): Promise<string> {
  const mail = await t.app.sink.waitFor((m) => m.envelopeTo.includes(email) && /code is: \d{6}/.test(m.text));
  return /code is: (\d{6})/.exec(mail.text)![1]!;
}

/** Password login of a user with several factors: the select answer, nothing granted. */
async function loginSelect(t: TfApp, c: TestClient, email: string): Promise<string> {
  const r = await c.login(email, PASSWORD);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(Object.keys(r.json.response).sort(), ["csrf_token", "tf_required", "tf_select", "tf_setup_methods"]);
  assert.equal(r.json.response.tf_required, true);
  assert.equal(r.json.response.tf_select, true);
  await assertNothingGranted(t, c);
  return r.json.response.csrf_token as string;
}

for (const dialect of flowDialects()) {
  describe(`two-factor select (${dialect})`, () => {
    let t: TfApp;
    let secret: string;
    before(async () => {
      t = await createTfApp(dialect, {}, true, {}, [passkeyFeature]);
      secret = await enrolAuthenticator(t, `both-${dialect}@x.test`);
      keyed.add(`both-${dialect}@x.test`);
      await enrolEmail(t, `mail-${dialect}@x.test`);
      keyed.add(`mail-${dialect}@x.test`);
      await t.app.rampart.api.createUser({ email: `key-${dialect}@x.test`, password: PASSWORD });
      keyed.add(`key-${dialect}@x.test`);
    });
    after(() => t.app.close());

    it("two factors: login → tf_select + tf_setup_methods; GET /tf-select lists them; /tf-validate is refused until one is chosen; which=authenticator → ready → code signs in", async () => {
      toStepStart(t);
      const c = t.app.client();
      const csrf = await loginSelect(t, c, `both-${dialect}@x.test`);
      const g = await c.get("/tf-select", { acceptJson: true });
      assert.equal(g.status, 200, g.body);
      assert.equal(g.json.response.tf_select, true);
      assert.deepEqual(g.json.response.tf_setup_methods, ["authenticator", "webauthn"]);
      const skip = await validate(c, csrf, oath(t, secret));
      assert.equal(skip.status, 400);
      assert.deepEqual(skip.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
      const bad = await c.post("/tf-select", { json: { which: "sms" }, headers: { "x-csrf-token": csrf } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json.response.field_errors, { which: ["Marked method is not valid"] });
      const pick = await c.post("/tf-select", { json: { which: "authenticator" }, headers: { "x-csrf-token": csrf } });
      assert.equal(pick.status, 200, pick.body);
      assert.deepEqual(
        { ...pick.json.response, csrf_token: null },
        {
          tf_required: true,
          tf_state: "ready",
          tf_method: "authenticator",
          tf_primary_method: "authenticator",
          csrf_token: null,
        },
      );
      await assertNothingGranted(t, c);
      const ok = await validate(c, csrf, oath(t, secret));
      assert.equal(ok.status, 200, ok.body);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
      const again = await c.post("/tf-select", {
        json: { which: "webauthn" },
        headers: { "x-csrf-token": ok.json.response.csrf_token },
      });
      assert.equal(again.status, 400, "no pending select any more");
    });

    it("which=webauthn → the plugin's payload (tf_signin_url); the plugin completes the sign-in", async () => {
      const c = t.app.client();
      const csrf = await loginSelect(t, c, `both-${dialect}@x.test`);
      const pick = await c.post("/tf-select", { json: { which: "webauthn" }, headers: { "x-csrf-token": csrf } });
      assert.equal(pick.status, 200, pick.body);
      assert.equal(pick.json.response.tf_state, "ready");
      assert.equal(pick.json.response.tf_method, "webauthn");
      assert.match(pick.json.response.tf_signin_url, /^\/test-wan-signin\//);
      await assertNothingGranted(t, c);
      const done = await c.post(pick.json.response.tf_signin_url, { json: {} });
      assert.equal(done.status, 200, done.body);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    });

    it("email + webauthn: which=email mails a code for this attempt, which completes /tf-validate", async () => {
      const email = `mail-${dialect}@x.test`;
      const c = t.app.client();
      const csrf = await loginSelect(t, c, email);
      t.app.sink.clear();
      const pick = await c.post("/tf-select", { json: { which: "email" }, headers: { "x-csrf-token": csrf } });
      assert.equal(pick.status, 200, pick.body);
      assert.equal(pick.json.response.tf_method, "email");
      const ok = await validate(c, csrf, await mailedCode(t, email));
      assert.equal(ok.status, 200, ok.body);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    });

    it("a plugin factor alone: login answers ready with the plugin's payload (no select, no bypass)", async () => {
      const c = t.app.client();
      const r = await c.login(`key-${dialect}@x.test`, PASSWORD);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.tf_required, true);
      assert.equal(r.json.response.tf_state, "ready");
      assert.equal(r.json.response.tf_method, "webauthn");
      assert.equal(typeof r.json.response.tf_signin_url, "string");
      assert.equal(r.json.response.tf_select, undefined);
      await assertNothingGranted(t, c);
    });

    it("HTML: form login → 302 /tf-select; the page offers each method; choosing authenticator → 302 /tf-validate", async () => {
      const c = t.app.client();
      const csrf = await c.csrf();
      const login = await c.post("/login", {
        form: { email: `both-${dialect}@x.test`, password: PASSWORD, csrf_token: csrf },
      });
      assert.equal(login.status, 302, login.body);
      assert.match(login.location ?? "", /\/tf-select$/);
      const page = await c.get("/tf-select");
      assert.equal(page.status, 200);
      assert.match(page.body, /name="which" value="authenticator"/);
      assert.match(page.body, /name="which" value="webauthn"/);
      const token = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1]!;
      const pick = await c.post("/tf-select", { form: { which: "authenticator", csrf_token: token } });
      assert.equal(pick.status, 302, pick.body);
      assert.match(pick.location ?? "", /\/tf-validate$/);
    });

    it("without a pending select: JSON 400 TWO_FACTOR_PERMISSION_DENIED, HTML 302 to /login", async () => {
      const c = t.app.client();
      const g = await c.get("/tf-select", { acceptJson: true });
      assert.equal(g.status, 400);
      assert.deepEqual(g.json.response.error_codes, ["TWO_FACTOR_PERMISSION_DENIED"]);
      const csrf = await c.csrf();
      const h = await c.post("/tf-select", { form: { which: "authenticator", csrf_token: csrf } });
      assert.equal(h.status, 302);
      assert.match(h.location ?? "", /\/login$/);
    });
  });
}
