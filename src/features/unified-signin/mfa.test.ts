import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { openLink } from "../../../test/helpers/links.js";
import {
  createUsApp,
  oath,
  PASSWORD,
  post,
  requestEmailCode,
  setupEmail,
  signedIn,
  signedInAs,
  toStepStart,
  type UsApp,
} from "./testing/kit.js";

/**
 * Every unified sign-in path goes through the pipeline's second-factor check: a password or emailed code
 * (in US_MFA_REQUIRED) stops at two-factor, as does the magic link; an authenticator code (not in it) signs in.
 */
async function enrolTwoFactor(t: UsApp, c: TestClient): Promise<string> {
  const s = await post(c, "/tf-setup", { setup: "authenticator" });
  assert.equal(s.status, 200, s.body);
  toStepStart(t);
  const done = await post(c, `/tf-setup/${s.json.response.tf_state_token}`, {
    code: oath(t, s.json.response.tf_authr_key),
  });
  assert.equal(done.status, 200, done.body);
  t.advance(30);
  return s.json.response.tf_authr_key as string;
}

async function enrolUsAuthenticator(t: UsApp, c: TestClient): Promise<string> {
  const s = await post(c, "/us-setup", { chosen_method: "authenticator" });
  assert.equal(s.status, 200, s.body);
  toStepStart(t);
  const done = await post(c, `/us-setup/${s.json.response.state}`, { passcode: oath(t, s.json.response.authr_key) });
  assert.equal(done.status, 200, done.body);
  t.advance(30);
  return s.json.response.authr_key as string;
}

function assertStoppedAtSecondFactor(r: {
  status: number;
  body: string;
  json: { response: Record<string, any> };
}): void {
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.response.tf_required, true);
  assert.equal(r.json.response.tf_state, "ready");
  assert.equal(r.json.response.user, undefined);
  assert.equal(r.json.response.authentication_token, undefined);
}

for (const dialect of flowDialects()) {
  describe(`unified sign-in and two-factor (${dialect})`, () => {
    let t: UsApp;
    let tfKey: string;
    let usKey: string;
    before(async () => {
      t = await createUsApp(dialect, { sendLimit: 50 }, { twoFactor: { enabled: true } });
      const c = await signedIn(t, "both@x.test");
      await setupEmail(t, c, "both@x.test");
      usKey = await enrolUsAuthenticator(t, c);
      tfKey = await enrolTwoFactor(t, c);
    });
    after(() => t.app.close());

    it("password as passcode → second factor required, nobody signed in; the authenticator completes it", async () => {
      const c = t.app.client();
      const r = await post(c, "/us-signin", { identity: "both@x.test", passcode: PASSWORD });
      assertStoppedAtSecondFactor(r);
      assert.equal(await signedInAs(c), false);
      const done = await c.post("/tf-validate", {
        json: { code: oath(t, tfKey) },
        headers: { "x-csrf-token": r.json.response.csrf_token },
      });
      assert.equal(done.status, 200, done.body);
      assert.ok(await signedInAs(c));
    });

    it("an emailed code → second factor required", async () => {
      const { code } = await requestEmailCode(t, "both@x.test");
      const c = t.app.client();
      assertStoppedAtSecondFactor(
        await post(c, "/us-signin?include_auth_token", { identity: "both@x.test", passcode: code }),
      );
      assert.equal(await signedInAs(c), false);
    });

    it("the magic link → sent to the second-factor page, not signed in", async () => {
      const { link } = await requestEmailCode(t, "both@x.test");
      const c = t.app.client();
      const r = await openLink(c, new URL(link!).pathname + new URL(link!).search);
      assert.equal(r.status, 302);
      assert.equal(r.location, "/tf-validate");
      assert.equal(await signedInAs(c), false);
    });

    it("a unified sign-in authenticator code (not in US_MFA_REQUIRED) signs in without a second factor", async () => {
      t.advance(30);
      const c = t.app.client();
      const r = await post(c, "/us-signin", { identity: "both@x.test", passcode: oath(t, usKey) });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.tf_required, false);
      assert.ok(await signedInAs(c));
    });
  });
}

describe("US_MFA_REQUIRED listing every method: the authenticator code also needs the second factor", () => {
  let t: UsApp;
  after(() => t.app.close());
  it("stops at two-factor", async () => {
    t = await createUsApp(
      "sqlite",
      { mfaRequired: ["password", "email", "authenticator", "sms"] },
      { twoFactor: { enabled: true } },
    );
    const c = await signedIn(t, "strict@x.test");
    const usKey = await enrolUsAuthenticator(t, c);
    await enrolTwoFactor(t, c);
    t.advance(30);
    const fresh = t.app.client();
    assertStoppedAtSecondFactor(
      await post(fresh, "/us-signin", { identity: "strict@x.test", passcode: oath(t, usKey) }),
    );
    assert.equal(await signedInAs(fresh), false);
  });
});

/**
 * The two-factor and the unified sign-in authenticators have separate secrets and separate replay counters: a
 * code of one never spends the step of the other, while each still accepts a step only once.
 */
for (const dialect of flowDialects()) {
  describe(`two authenticators in the same 30-second step (${dialect})`, () => {
    let t: UsApp;
    let tfKey: string;
    let usKey: string;
    before(async () => {
      t = await createUsApp(
        dialect,
        { mfaRequired: ["password", "email", "authenticator", "sms"] },
        { twoFactor: { enabled: true } },
      );
      const c = await signedIn(t, "Two.Keys-User+both@Sub.X.test");
      usKey = await enrolUsAuthenticator(t, c);
      tfKey = await enrolTwoFactor(t, c);
    });
    after(() => t.app.close());

    it("unified sign-in authenticator code, then the two-factor authenticator code in the same step → signed in", async () => {
      toStepStart(t);
      const c = t.app.client();
      const first = await post(c, "/us-signin", {
        identity: "two.keys-user+both@sub.x.test",
        passcode: oath(t, usKey),
      });
      assertStoppedAtSecondFactor(first);
      const done = await c.post("/tf-validate", {
        json: { code: oath(t, tfKey) },
        headers: { "x-csrf-token": first.json.response.csrf_token },
      });
      assert.equal(done.status, 200, done.body);
      assert.ok(await signedInAs(c));
    });

    it("each counter still refuses its own replayed step", async () => {
      toStepStart(t);
      const c = t.app.client();
      const first = await post(c, "/us-signin", {
        identity: "Two.Keys-User+both@Sub.X.test",
        passcode: oath(t, usKey),
      });
      assertStoppedAtSecondFactor(first);
      assert.equal(
        (
          await c.post("/tf-validate", {
            json: { code: oath(t, tfKey) },
            headers: { "x-csrf-token": first.json.response.csrf_token },
          })
        ).status,
        200,
      );
      const again = t.app.client();
      const replayUs = await post(again, "/us-signin", {
        identity: "two.keys-user+both@sub.x.test",
        passcode: oath(t, usKey),
      });
      assert.equal(replayUs.status, 400, "the unified sign-in step is spent");
      const viaPassword = t.app.client();
      const pw = await post(viaPassword, "/us-signin", {
        identity: "two.keys-user+both@sub.x.test",
        passcode: PASSWORD,
      });
      assertStoppedAtSecondFactor(pw);
      const replayTf = await viaPassword.post("/tf-validate", {
        json: { code: oath(t, tfKey) },
        headers: { "x-csrf-token": pw.json.response.csrf_token },
      });
      assert.equal(replayTf.status, 400, "the two-factor step is spent");
      assert.deepEqual(replayTf.json.response.field_errors, { code: ["Invalid code"] });
    });
  });
}
