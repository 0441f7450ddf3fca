import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { flowDialects } from "../../../test/helpers/app.js";
import { DUMMY_SENT_KEY } from "./codes.js";
import {
  createUsApp,
  PASSWORD,
  post,
  requestEmailCode,
  setupEmail,
  signedIn,
  signedInAs,
  type UsApp,
} from "./testing/kit.js";

/**
 * Every passcode unified sign-in evaluates goes through the one credential check: the account's lockout is drawn
 * before the passcode is looked at (a correct one while locked is refused and not used up), an unknown identity
 * gets the work an account would cost (a lockout count of its own included), and every failure emits
 * `user_failed_authn`.
 */
type Failure = { authType: string; reason: string; email: string | null; identity: string | null };

/**
 * Counts the work done per request: hasher dummy verifies, dummy code checks (they read a counter no user has)
 * and draws from limits before a credential is judged (the lockout count, a code limit), for accounts and
 * unknown identities alike.
 */
function instrument(t: UsApp) {
  const rt = t.app.runtime;
  const seen = { dummyHashes: 0, dummyCodeChecks: 0, limitDraws: 0 };
  const dummyVerify = rt.hasher.dummyVerify;
  rt.hasher.dummyVerify = (p) => (seen.dummyHashes++, dummyVerify(p));
  const peek = rt.datastore.attempts.peek.bind(rt.datastore.attempts);
  rt.datastore.attempts.peek = (key, w, now) => {
    if (key === DUMMY_SENT_KEY) seen.dummyCodeChecks++;
    return peek(key, w, now);
  };
  const consume = rt.limits.consume.bind(rt.limits);
  (rt.limits as { consume: typeof consume }).consume = (spec, key, points) => {
    if (spec.name === "lockout" || spec.name.endsWith("-code")) seen.limitDraws++;
    return consume(spec, key, points);
  };
  return {
    take() {
      const out = { ...seen };
      seen.dummyHashes = seen.dummyCodeChecks = seen.limitDraws = 0;
      return out;
    },
  };
}

function failures(t: UsApp): Failure[] {
  const list: Failure[] = [];
  t.app.rampart.events.on("user_failed_authn", ({ user, authType, reason, identity }) => {
    list.push({ authType, reason, email: user?.email ?? null, identity });
  });
  return list;
}

for (const dialect of flowDialects()) {
  describe(`unified sign-in checks passcodes through verifyCredential (${dialect})`, () => {
    let t: UsApp;
    let work: ReturnType<typeof instrument>;
    let failed: Failure[];
    before(async () => {
      t = await createUsApp(dialect, { sendLimit: 50 }, { lockout: { threshold: 3, codeAttempts: 3 } });
      work = instrument(t);
      failed = failures(t);
    });
    after(() => t.app.close());

    it("an unknown identity at /us-signin (JSON and form) costs a dummy hash and a dummy code check, and is reported", async () => {
      for (const identity of ["No-Body+x@Sub.Example.test", "no.body-2@x.test"]) {
        work.take();
        const r = await post(t.app.client(), "/us-signin", { identity, passcode: "123456" });
        assert.equal(r.status, 400, r.body);
        assert.deepEqual(r.json.response.field_errors, { identity: ["You must specify a valid identity to sign in"] });
        assert.deepEqual(work.take(), { dummyHashes: 1, dummyCodeChecks: 1, limitDraws: 1 });
        assert.deepEqual(failed.at(-1), {
          authType: "us_signin",
          reason: "USER_DOES_NOT_EXIST",
          email: null,
          identity,
        });
      }
      const c = t.app.client();
      const form = await c.post("/us-signin", {
        form: { identity: "Form.Nobody@x.test", passcode: "12-34-56", csrf_token: await c.csrf() },
      });
      assert.equal(form.status, 200);
      assert.match(form.body, /You must specify a valid identity to sign in/);
      assert.deepEqual(work.take(), { dummyHashes: 1, dummyCodeChecks: 1, limitDraws: 1 });
    });

    it("an account without code methods costs the same code check; its wrong passcode is reported", async () => {
      await t.app.rampart.api.createUser({ email: "Plain.User+1@Sub.X.test", password: PASSWORD });
      work.take();
      const r = await post(t.app.client(), "/us-signin", { identity: "plain.user+1@sub.x.test", passcode: "654321" });
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(r.json.response.field_errors, { passcode: ["Password or code submitted is not valid"] });
      assert.deepEqual(work.take(), { dummyHashes: 0, dummyCodeChecks: 1, limitDraws: 1 });
      assert.deepEqual(failed.at(-1), {
        authType: "us_signin",
        reason: "INVALID_PASSWORD_CODE",
        email: "Plain.User+1@sub.x.test",
        identity: "plain.user+1@sub.x.test",
      });
    });

    it("/us-signin: while locked the right code is refused (429 + Retry-After, not judged) and not used up", async () => {
      const email = "budget.code-1@sub.x.test";
      const c = await signedIn(t, email);
      await setupEmail(t, c, email);
      const { code } = await requestEmailCode(t, email);
      let closing = 0;
      for (let i = 0; i < 3; i++) {
        closing = Date.now();
        assert.equal(
          (
            await post(t.app.client(), "/us-signin", {
              identity: email,
              passcode: code === "000001" ? "000002" : "000001",
            })
          ).status,
          400,
        );
      }
      const reported = failed.length;
      const spent = await post(t.app.client(), "/us-signin", { identity: email, passcode: code });
      assert.equal(spent.status, 429, spent.body);
      assert.deepEqual(spent.json.response.error_codes, ["LOCKED_OUT"]);
      // The first wait of the lockout (30 s, not a doubled one), less the whole seconds gone since the failure
      // that closed it started (a slow machine may take more than a second over those two requests).
      const wait = Number(spent.headers.get("retry-after"));
      const gone = Math.ceil((Date.now() - closing) / 1000);
      assert.ok(wait <= 30 && wait >= 30 - gone, `Retry-After ${wait} (${gone} s since the lock)`);
      // Nothing was judged: no failure reported or audited for the refused attempt (the lock itself is audited).
      assert.equal(failed.length, reported);
      const rows = await t.app.rampart.api.auditEvents({ event: "login" });
      assert.deepEqual(rows[0]!.details, { via: "us_signin", reason: "INVALID_PASSWORD_CODE" });
      const user = (await t.app.rampart.api.findUser(email))!;
      assert.equal((await t.app.rampart.api.auditEvents({ event: "user_locked", userId: user.id })).length, 1);
      // Unlocked (here: by the api), the same code still works: it was never evaluated.
      assert.equal(await t.app.rampart.api.unlockUser(user), true);
      const fresh = t.app.client();
      const done = await post(fresh, "/us-signin", { identity: email, passcode: code });
      assert.equal(done.status, 200, done.body);
      assert.ok(await signedInAs(fresh));
    });

    it("magic link: an unknown id is reported after a dummy code check; past its code limit the right link is refused and not used up", async () => {
      work.take();
      const unknown = await post(t.app.client(), "/us-verify-link", { id: "nobody-at-all", code: "123456" });
      assert.equal(unknown.status, 400, unknown.body);
      assert.deepEqual(unknown.json.response.errors, ["Specified user does not exist"]);
      assert.deepEqual(work.take(), { dummyHashes: 0, dummyCodeChecks: 1, limitDraws: 1 });
      assert.deepEqual(failed.at(-1), {
        authType: "us_verify_link",
        reason: "USER_DOES_NOT_EXIST",
        email: null,
        identity: null,
      });

      const email = "Link.Budget+z@Sub.X.test".toLowerCase();
      const c = await signedIn(t, email);
      await setupEmail(t, c, email);
      const { link } = await requestEmailCode(t, email);
      const { id, code } = Object.fromEntries(new URL(link!).searchParams) as { id: string; code: string };
      for (let i = 0; i < 3; i++) {
        const wrong = await post(t.app.client(), "/us-verify-link", {
          id,
          code: code === "000000" ? "111111" : "000000",
        });
        assert.deepEqual(wrong.json.response.errors, ["Invalid code"]);
      }
      assert.deepEqual(failed.at(-1), { authType: "us_verify_link", reason: "INVALID_CODE", email, identity: email });
      const spent = await post(t.app.client(), "/us-verify-link", { id, code });
      assert.equal(spent.status, 429, spent.body);
      const wait = Number(spent.headers.get("retry-after"));
      assert.ok(wait > 15 * 60 - 10 && wait <= 15 * 60, `the code window's time left: ${wait}`);
      assert.deepEqual(failed.at(-1), { authType: "us_verify_link", reason: "INVALID_CODE", email, identity: email });
      const user = (await t.app.rampart.api.findUser(email))!;
      await t.app.rampart.api.unlockUser(user);
      const fresh = t.app.client();
      const done = await post(fresh, "/us-verify-link", { id, code });
      assert.equal(done.status, 200, done.body);
      assert.ok(await signedInAs(fresh));
    });

    it("/us-verify: a wrong passcode is reported and audited; once locked even the password is refused", async () => {
      const email = "re.verify@x.test";
      const c = await signedIn(t, email);
      const wrong = await post(c, "/us-verify", { passcode: "not it" });
      assert.equal(wrong.status, 400, wrong.body);
      assert.deepEqual(wrong.json.response.field_errors, { passcode: ["Password or code submitted is not valid"] });
      assert.deepEqual(failed.at(-1), {
        authType: "us_verify",
        reason: "INVALID_PASSWORD_CODE",
        email,
        identity: email,
      });
      const rows = await t.app.rampart.api.auditEvents({ event: "verify" });
      assert.equal(rows[0]!.outcome, "failure");
      assert.deepEqual(rows[0]!.details, { via: "us_verify", reason: "INVALID_PASSWORD_CODE" });
      for (let i = 0; i < 2; i++) await post(c, "/us-verify", { passcode: "still not it" });
      const spent = await post(c, "/us-verify", { passcode: PASSWORD });
      assert.equal(spent.status, 429, spent.body);
      assert.deepEqual(failed.at(-1), {
        authType: "us_verify",
        reason: "INVALID_PASSWORD_CODE",
        email,
        identity: email,
      });
    });

    it("/us-setup/<state>: a wrong code for the new method is audited, but is no failed authentication (as FS)", async () => {
      const email = "setup.check@x.test";
      const c = await signedIn(t, email);
      const s = await post(c, "/us-setup", { chosen_method: "email" });
      assert.equal(s.status, 200, s.body);
      t.app.sink.clear();
      const reported = failed.length;
      const wrong = await post(c, `/us-setup/${s.json.response.state}`, { passcode: "000000" });
      assert.equal(wrong.status, 400, wrong.body);
      assert.equal(failed.length, reported, "a new secret's code says nothing about who signs in");
      const rows = await t.app.rampart.api.auditEvents({ event: "us_setup" });
      assert.deepEqual(rows[0]!.details, { method: "email", reason: "INVALID_PASSWORD_CODE" });
    });
  });

  describe(`with the password method off, nobody costs a password hash (${dialect})`, () => {
    let t: UsApp;
    let work: ReturnType<typeof instrument>;
    before(async () => {
      t = await createUsApp(dialect, { enabledMethods: ["email", "authenticator", "sms"] });
      work = instrument(t);
    });
    after(() => t.app.close());

    it("an unknown identity gets one dummy code check and no hashing, like an account with a code method", async () => {
      work.take();
      const r = await post(t.app.client(), "/us-signin", { identity: "Ghost-User@x.test", passcode: "123456" });
      assert.equal(r.status, 400, r.body);
      assert.deepEqual(work.take(), { dummyHashes: 0, dummyCodeChecks: 1, limitDraws: 1 });
    });
  });
}
