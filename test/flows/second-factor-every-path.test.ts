import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import type { Reply, TestClient } from "../helpers/client.js";
import { openLink } from "../helpers/links.js";
import { linksIn } from "../helpers/smtp-sink.js";
import {
  assertNothingGranted,
  createTfApp,
  enrolAuthenticator,
  oath,
  PASSWORD,
  toStepStart,
  validate,
  type TfApp,
} from "../../src/features/two-factor/testing/kit.js";

/**
 * Issue 4: no way of signing in skips a required second factor. Each path below must stop at two-factor
 * (nobody signed in: the client's cookies grant nothing) and an oathtool code at /tf-validate must finish it.
 */
const NEW_PASSWORD = "a brand new passphrase";

const required = (extra: Record<string, unknown>) => ({ returnGenericResponses: false, ...extra });

/** The pending answer: 200, tf_required, no user and no token. */
function assertStopped(r: Reply, state: "ready" | "setup_from_login"): string {
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.response.tf_required, true, r.body);
  assert.equal(r.json.response.tf_state, state);
  assert.equal(r.json.response.user, undefined);
  assert.equal(r.json.response.authentication_token, undefined);
  return r.json.response.csrf_token as string;
}

async function signedIn(c: TestClient): Promise<boolean> {
  return (await c.get("/api/protected", { acceptJson: true })).status === 200;
}

/** Finishes a pending "ready" sign-in with the authenticator code; the client is then signed in. */
async function finish(t: TfApp, c: TestClient, csrf: string, secret: string): Promise<Reply> {
  t.advance(30);
  const done = await validate(c, csrf, oath(t, secret));
  assert.equal(done.status, 200, done.body);
  assert.ok(await signedIn(c), "signed in after /tf-validate");
  return done;
}

/** Finishes a pending "setup_from_login" sign-in: enrol an authenticator, validate its code. */
async function setUpAndFinish(t: TfApp, c: TestClient, csrf: string): Promise<void> {
  const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
  assert.equal(s.status, 200, s.body);
  assert.equal(await signedIn(c), false, "choosing a factor signs nobody in");
  await finish(t, c, csrf, s.json.response.tf_authr_key as string);
}

/** A user with an enrolled authenticator (enrolled via the login flow); the clock then moves past its code. */
async function enrolled(t: TfApp, email: string): Promise<string> {
  toStepStart(t);
  const secret = await enrolAuthenticator(t, email);
  t.advance(30);
  return secret;
}

async function post(c: TestClient, path: string, json: Record<string, unknown>): Promise<Reply> {
  return c.post(path, { json, headers: { "x-csrf-token": await c.csrf() } });
}

function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

for (const dialect of flowDialects()) {
  describe(`a required second factor on every sign-in path (${dialect})`, () => {
    let t: TfApp;
    let tc: TfApp;
    before(async () => {
      t = await createTfApp(
        dialect,
        { required: true },
        true,
        required({
          registration: { enabled: true },
          recovery: { enabled: true, autoLoginAfterReset: true },
          unifiedSignin: { enabled: true, sendLimit: 50 },
          apiEnabledMethods: ["session", "token", "basic"],
        }),
      );
      tc = await createTfApp(
        dialect,
        { required: true },
        true,
        required({
          registration: { enabled: true },
          confirmation: { enabled: true, autoLoginAfterConfirm: true },
        }),
      );
    });
    after(async () => {
      await t?.app.close();
      await tc?.app.close();
    });

    it("password /login → tf_required, nothing granted; /tf-validate finishes it", async () => {
      const secret = await enrolled(t, "login@x.test");
      const c = t.app.client();
      const csrf = assertStopped(await c.login("login@x.test", PASSWORD, {}, "?include_auth_token"), "ready");
      await assertNothingGranted(t, c);
      await finish(t, c, csrf, secret);
    });

    it("/register with auto-login → setup_from_login, nothing granted; enrolling finishes it", async () => {
      const c = t.app.client();
      const r = await post(c, "/register?include_auth_token", {
        email: "reg@x.test",
        password: PASSWORD,
        password_confirm: PASSWORD,
      });
      const csrf = assertStopped(r, "setup_from_login");
      await assertNothingGranted(t, c);
      await setUpAndFinish(t, c, csrf);
    });

    it("/confirm/<token> with autoLoginAfterConfirm → not signed in; enrolling finishes it", async () => {
      const reg = await post(tc.app.client(), "/register", {
        email: "conf@x.test",
        password: PASSWORD,
        password_confirm: PASSWORD,
      });
      assert.equal(reg.status, 200, reg.body);
      const mail = await tc.app.sink.waitFor((m) => m.envelopeTo.includes("conf@x.test"));
      const visitor = tc.app.client();
      const r = await openLink(visitor, pathOf(linksIn(mail).find((l) => l.includes("/confirm/"))!));
      assert.equal(r.status, 302);
      assert.notEqual(r.location, "/", "not sent to POST_LOGIN_VIEW as if signed in");
      await assertNothingGranted(tc, visitor);
      await setUpAndFinish(tc, visitor, await visitor.csrf());
    });

    it("FS parity: /confirm/<token> with autoLoginAfterConfirm sends the browser to the second-factor setup page", async () => {
      const reg = await post(tc.app.client(), "/register", {
        email: "conf2@x.test",
        password: PASSWORD,
        password_confirm: PASSWORD,
      });
      assert.equal(reg.status, 200, reg.body);
      const mail = await tc.app.sink.waitFor((m) => m.envelopeTo.includes("conf2@x.test"));
      const r = await openLink(tc.app.client(), pathOf(linksIn(mail).find((l) => l.includes("/confirm/"))!));
      assert.equal(r.status, 302);
      // FS confirm_email returns tf_enter's redirect (two_factor_setup); the login page strands the pending sign-in.
      assert.equal(r.location, "/tf-setup");
    });

    it("/reset/<token> with autoLoginAfterReset → tf_required, nothing granted; /tf-validate finishes it", async () => {
      const secret = await enrolled(t, "reset@x.test");
      assert.equal((await post(t.app.client(), "/reset", { email: "reset@x.test" })).status, 200);
      const mail = await t.app.sink.waitFor(
        (m) => m.envelopeTo.includes("reset@x.test") && m.subject === "Password reset instructions",
      );
      const c = t.app.client();
      const link = pathOf(linksIn(mail).find((l) => l.includes("/reset/"))!);
      const r = await post(c, `${link}?include_auth_token`, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
      const csrf = assertStopped(r, "ready");
      await assertNothingGranted(t, c);
      await finish(t, c, csrf, secret);
    });

    it("/us-signin with the password (remember: true) → tf_required, no remember cookie; /tf-validate finishes it", async () => {
      const secret = await enrolled(t, "uspw@x.test");
      const c = t.app.client();
      const r = await post(c, "/us-signin?include_auth_token", {
        identity: "uspw@x.test",
        passcode: PASSWORD,
        remember: true,
      });
      const csrf = assertStopped(r, "ready");
      assert.ok(!c.jar.has("__Host-remember_token"), "no remember cookie before the second factor");
      await assertNothingGranted(t, c);
      await finish(t, c, csrf, secret);
    });

    describe("with the unified sign-in email method set up", () => {
      let secret: string;
      before(async () => {
        secret = await enrolled(t, "usmail@x.test");
        const c = t.app.client();
        await finish(t, c, assertStopped(await c.login("usmail@x.test", PASSWORD), "ready"), secret);
        const s = await post(c, "/us-setup", { chosen_method: "email" });
        assert.equal(s.status, 200, s.body);
        const mail = await t.app.sink.waitFor(
          (m) => m.envelopeTo.includes("usmail@x.test") && m.subject === "Verification Code",
        );
        t.app.sink.clear();
        const done = await post(c, `/us-setup/${s.json.response.state}`, { passcode: /(\d{6})/.exec(mail.text)![1]! });
        assert.equal(done.status, 200, done.body);
      });

      async function requestCode(): Promise<{ code: string; link: string }> {
        assert.equal(
          (await post(t.app.client(), "/us-signin/send-code", { identity: "usmail@x.test", chosen_method: "email" }))
            .status,
          200,
        );
        const mail = await t.app.sink.waitFor(
          (m) => m.envelopeTo.includes("usmail@x.test") && m.subject === "Verification Code",
        );
        t.app.sink.clear();
        return {
          code: /code to sign in: (\d{6})/.exec(mail.text)![1]!,
          link: /https:\/\/app\.test\/us-verify-link\?\S+/.exec(mail.text)![0],
        };
      }

      it("/us-signin with an emailed code → tf_required, nothing granted; /tf-validate finishes it", async () => {
        const { code } = await requestCode();
        const c = t.app.client();
        const csrf = assertStopped(
          await post(c, "/us-signin?include_auth_token", { identity: "usmail@x.test", passcode: code }),
          "ready",
        );
        await assertNothingGranted(t, c);
        await finish(t, c, csrf, secret);
      });

      it("the magic link /us-verify-link → 302 to /tf-validate, nothing granted; the code finishes it", async () => {
        const { link } = await requestCode();
        const c = t.app.client();
        const r = await openLink(c, pathOf(link));
        assert.equal(r.status, 302);
        assert.equal(r.location, "/tf-validate");
        await assertNothingGranted(t, c);
        await finish(t, c, await c.csrf(), secret);
      });
    });

    it("HTTP basic: the right password of a user with a second factor → 401", async () => {
      await enrolled(t, "basic@x.test");
      const auth = `Basic ${Buffer.from(`basic@x.test:${PASSWORD}`).toString("base64")}`;
      const r = await t.app.client().get("/api/protected", { acceptJson: true, headers: { authorization: auth } });
      assert.equal(r.status, 401, r.body);
    });

    it("remember: a pending login with remember: true issues no remember cookie; only the finished one does", async () => {
      const secret = await enrolled(t, "remember@x.test");
      const c = t.app.client();
      const r = await c.login("remember@x.test", PASSWORD, { remember: true });
      const csrf = assertStopped(r, "ready");
      assert.ok(!r.setCookies.some((h) => h.startsWith("__Host-remember_token=")), "no remember cookie while pending");
      assert.ok(!c.jar.has("__Host-remember_token"));
      await assertNothingGranted(t, c);
      await finish(t, c, csrf, secret);
      assert.ok(c.jar.has("__Host-remember_token"), "the completed sign-in remembers");
      // The session ends (browser closed); the remember cookie alone restores the completed sign-in.
      const back = t.app.client();
      back.jar.set("__Host-remember_token", c.jar.get("__Host-remember_token")!);
      assert.ok(await signedIn(back));
    });
  });
}

describe("a remember cookie from before two-factor applied does not skip it", () => {
  it("signed in with remember, then 2FA set up: the old cookie restores nothing; one from a 2FA sign-in does", async () => {
    const t = await createTfApp("sqlite", { required: false }, false, required({}));
    try {
      await t.app.rampart.api.createUser({ email: "early@x.test", password: PASSWORD });
      const c = t.app.client();
      assert.equal((await c.login("early@x.test", PASSWORD, { remember: true })).status, 200);
      const early = c.jar.get("__Host-remember_token")!;
      assert.ok(early, "remember cookie issued without a second factor (none was set up)");
      // The user now sets up an authenticator as a signed-in user.
      const s = await post(c, "/tf-setup", { setup: "authenticator" });
      assert.equal(s.status, 200, s.body);
      toStepStart(t);
      const done = await post(c, `/tf-setup/${s.json.response.tf_state_token}`, {
        code: oath(t, s.json.response.tf_authr_key),
      });
      assert.equal(done.status, 200, done.body);
      const back = t.app.client();
      back.jar.set("__Host-remember_token", early);
      assert.equal(await signedIn(back), false, "the pre-2FA remember cookie no longer signs in");
      // A remember cookie from a sign-in that gave the second factor keeps working.
      t.advance(30);
      const fresh = t.app.client();
      const csrf = assertStopped(await fresh.login("early@x.test", PASSWORD, { remember: true }), "ready");
      await finish(t, fresh, csrf, s.json.response.tf_authr_key as string);
      const later = t.app.client();
      later.jar.set("__Host-remember_token", fresh.jar.get("__Host-remember_token")!);
      assert.ok(await signedIn(later));
    } finally {
      await t.app.close();
    }
  });
});
