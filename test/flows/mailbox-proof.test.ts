import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import type { Reply, TestClient } from "../helpers/client.js";
import { openLink } from "../helpers/links.js";
import { linksIn } from "../helpers/smtp-sink.js";
import { startSmsGateway, type SmsGateway } from "../helpers/sms-gateway.js";
import {
  codeIn,
  createUsApp,
  oath,
  post,
  toStepStart,
  usMail,
  type UsApp,
} from "../../src/features/unified-signin/testing/kit.js";

/**
 * Proving the mailbox of a never-confirmed account (reset link, confirmation link, emailed sign-in code or
 * magic link): whoever registered the address first keeps no way of signing in that predates the proof — yet
 * a second factor is never removed and is still demanded on the way in.
 */
const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "twilio-auth-token";
const ATTACKER_PASSWORD = "attacker-chosen P4ss";
const VICTIM_PASSWORD = "the victim's own passphrase";

function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

async function signedIn(c: TestClient): Promise<boolean> {
  return (await c.get("/api/protected", { acceptJson: true })).status === 200;
}

interface Foothold {
  session: TestClient;
  rememberOnly: string;
  token: string;
  authrKey: string;
  smsPhone: string;
  tfKey: string;
}

/**
 * The attacker registers the victim's address with their own password, signs in (remember me, auth token),
 * adds a unified sign-in authenticator and an SMS method, and a two-factor authenticator.
 */
async function attackerPrepares(t: UsApp, gateway: SmsGateway, email: string, phone: string): Promise<Foothold> {
  const session = t.app.client();
  const reg = await post(t.app.client(), "/register", {
    email,
    password: ATTACKER_PASSWORD,
    password_confirm: ATTACKER_PASSWORD,
  });
  assert.equal(reg.status, 200, reg.body);
  const login = await session.post("/login?include_auth_token", {
    json: { email, password: ATTACKER_PASSWORD, remember: true },
    headers: { "x-csrf-token": await session.csrf() },
  });
  assert.equal(login.status, 200, login.body);
  const token = login.json.response.user.authentication_token as string;
  const rememberName = t.app.rampart.config.session.rememberCookieName;
  const rememberOnly = `${rememberName}=${session.jar.get(rememberName)}`;
  assert.ok(session.jar.get(rememberName), "a remember cookie");

  const a = await post(session, "/us-setup", { chosen_method: "authenticator" });
  assert.equal(a.status, 200, a.body);
  toStepStart(t);
  assert.equal(
    (await post(session, `/us-setup/${a.json.response.state}`, { passcode: oath(t, a.json.response.authr_key) }))
      .status,
    200,
  );
  t.advance(30);
  const s = await post(session, "/us-setup", { chosen_method: "sms", phone });
  assert.equal(s.status, 200, s.body);
  const smsDone = await post(session, `/us-setup/${s.json.response.state}`, {
    passcode: codeIn(gateway.messages.at(-1)!.body),
  });
  assert.equal(smsDone.status, 200, smsDone.body);

  const tf = await post(session, "/tf-setup", { setup: "authenticator" });
  assert.equal(tf.status, 200, tf.body);
  const tfKey = tf.json.response.tf_authr_key as string;
  const tfDone = await post(session, `/tf-setup/${tf.json.response.tf_state_token}`, { code: oath(t, tfKey) });
  assert.equal(tfDone.status, 200, tfDone.body);
  t.advance(30);
  assert.ok((await t.app.rampart.api.findUser(email))!.tfPrimaryMethod, "two-factor is set up");
  return {
    session,
    rememberOnly,
    token,
    authrKey: a.json.response.authr_key as string,
    smsPhone: s.json.response.phone as string,
    tfKey,
  };
}

/** None of the attacker's credentials signs in any more; `password` says whether their password should still work. */
async function assertFootholdGone(t: UsApp, gateway: SmsGateway, email: string, f: Foothold): Promise<void> {
  assert.equal(await signedIn(f.session), false, "the attacker's session is gone");
  const remembered = await t.app
    .client()
    .get("/api/protected", { acceptJson: true, headers: { cookie: f.rememberOnly } });
  assert.equal(remembered.status, 401, "the remember cookie restores nothing");
  const byToken = await t.app
    .client()
    .get("/api/protected", { acceptJson: true, headers: { "authentication-token": f.token } });
  assert.equal(byToken.status, 401, "the auth token is dead");
  t.advance(30);
  const authr = await post(t.app.client(), "/us-signin", { identity: email, passcode: oath(t, f.authrKey) });
  assert.equal(authr.status, 400, `the unified sign-in authenticator no longer signs in: ${authr.body}`);
  const before = gateway.messages.length;
  await post(t.app.client(), "/us-signin/send-code", { identity: email, chosen_method: "sms" });
  assert.equal(gateway.messages.length, before, "no SMS code goes to the attacker's phone");
  const user = (await t.app.rampart.api.findUser(email))!;
  assert.equal(user.usPhoneNumber, null);
  assert.equal(
    user.tfPrimaryMethod,
    "authenticator",
    "a second factor stays (it signs nobody in by itself) and is still demanded",
  );
  assert.ok(user.confirmedAt, "the mailbox is proved");
}

const CONFIGS: [string, Record<string, unknown>][] = [
  ["confirmation off", {}],
  [
    "LOGIN_WITHOUT_CONFIRMATION",
    { confirmation: { enabled: true, loginWithoutConfirmation: true, autoLoginAfterConfirm: true } },
  ],
];

for (const dialect of flowDialects()) {
  for (const [label, extra] of CONFIGS) {
    describe(`pre-account hijacking: the proof of the mailbox removes what predates it (${label}, ${dialect})`, () => {
      let t: UsApp;
      let gateway: SmsGateway;
      before(async () => {
        gateway = await startSmsGateway({ accountSid: SID, authToken: TOKEN });
        t = await createUsApp(
          dialect,
          { sendLimit: 50 },
          {
            ...extra,
            registration: { enabled: true },
            recovery: { enabled: true },
            twoFactor: { enabled: true },
            freshness: { withinSeconds: 3600 },
            sms: {
              service: "twilio",
              twilioBaseUrl: gateway.url,
              serviceConfig: { accountSid: SID, authToken: TOKEN, phoneNumber: "+15005550006" },
            },
          },
        );
      });
      after(async () => {
        await t.app.close();
        await gateway.close();
      });

      it("reset by the victim: the attacker's session, remember cookie, token, password and methods stop working; the notice lists what remains", async () => {
        const email = "Victim.Reset-1+x@Mail.Sub.test".toLowerCase();
        const f = await attackerPrepares(t, gateway, email, "650-555-1212");
        t.app.sink.clear();
        const victim = t.app.client();
        assert.equal((await post(victim, "/reset", { email })).status, 200);
        const mail = await t.app.sink.waitFor(
          (m) => m.envelopeTo.includes(email) && /reset/i.test(m.text) && linksIn(m).some((l) => l.includes("/reset/")),
        );
        const link = linksIn(mail).find((l) => l.includes("/reset/"))!;
        t.app.sink.clear();
        const done = await post(victim, pathOf(link), { password: VICTIM_PASSWORD, password_confirm: VICTIM_PASSWORD });
        assert.equal(done.status, 200, done.body);
        await assertFootholdGone(t, gateway, email, f);
        assert.equal(
          (await t.app.client().login(email, ATTACKER_PASSWORD)).status,
          400,
          "the attacker's password is replaced",
        );
        const signin = await t.app.client().login(email, VICTIM_PASSWORD);
        assert.equal(signin.status, 200, signin.body);
        assert.equal(signin.json.response.tf_required, true, "the second factor is still demanded");
        const notice = await t.app.sink.waitFor((m) => m.envelopeTo.includes(email) && /has been reset/.test(m.text));
        assert.match(notice.text, /your new password/);
        assert.match(
          notice.text,
          /second factor: an authenticator app/,
          "the holder learns of a second factor they may not have set up",
        );
        assert.doesNotMatch(notice.text, /code from an authenticator app|texted/, notice.text);
      });

      if (label === "LOGIN_WITHOUT_CONFIRMATION") {
        it("confirmation by the victim (link from the registration mail): the attacker's session, token and methods stop working", async () => {
          const email = "victim.confirm_2@x-y.example.test";
          t.app.sink.clear();
          const f = await attackerPrepares(t, gateway, email, "650-555-1313");
          const mail = await t.app.sink.waitFor(
            (m) => m.envelopeTo.includes(email) && linksIn(m).some((l) => l.includes("/confirm/")),
          );
          const link = linksIn(mail).find((l) => l.includes("/confirm/"))!;
          const victim = t.app.client();
          const r = await openLink(victim, pathOf(link));
          assert.equal(r.status, 302, r.body);
          await assertFootholdGone(t, gateway, email, f);
        });
      }
    });
  }

  describe(`a never-confirmed account's second factor survives its first mailbox proof (${dialect})`, () => {
    let t: UsApp;
    before(async () => {
      t = await createUsApp(
        dialect,
        { sendLimit: 50, passwordRequired: false },
        {
          registration: { enabled: true },
          twoFactor: { enabled: true },
          freshness: { withinSeconds: 3600 },
        },
      );
    });
    after(() => t.app.close());

    /** Registered without a password (signed in by registration, the email method set up) and a two-factor authenticator set up in that session. */
    async function holder(email: string): Promise<string> {
      const c = t.app.client();
      const reg = await post(c, "/register", { email });
      assert.equal(reg.status, 200, reg.body);
      assert.ok(await signedIn(c), "registration signs in");
      const tf = await post(c, "/tf-setup", { setup: "authenticator" });
      assert.equal(tf.status, 200, tf.body);
      toStepStart(t);
      const key = tf.json.response.tf_authr_key as string;
      assert.equal((await post(c, `/tf-setup/${tf.json.response.tf_state_token}`, { code: oath(t, key) })).status, 200);
      t.advance(30);
      const user = (await t.app.rampart.api.findUser(email))!;
      assert.equal(user.confirmedAt, null, "never confirmed");
      assert.ok(user.tfPrimaryMethod);
      return key;
    }

    async function emailCode(email: string): Promise<{ code: string; link: string }> {
      t.app.sink.clear();
      assert.equal(
        (await post(t.app.client(), "/us-signin/send-code", { identity: email, chosen_method: "email" })).status,
        200,
      );
      const { code, link } = await usMail(t, email);
      return { code, link: link! };
    }

    it("emailed code → the second factor is demanded, nobody is signed in, and the factor is still there", async () => {
      const email = "Holder.Code-1@x.test".toLowerCase();
      const key = await holder(email);
      const { code } = await emailCode(email);
      const c = t.app.client();
      const r: Reply = await post(c, "/us-signin", { identity: email, passcode: code });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.tf_required, true, r.body);
      assert.equal(await signedIn(c), false);
      assert.ok((await t.app.rampart.api.findUser(email))!.tfPrimaryMethod, "the second factor was not removed");
      const done = await c.post("/tf-validate", {
        json: { code: oath(t, key) },
        headers: { "x-csrf-token": r.json.response.csrf_token },
      });
      assert.equal(done.status, 200, done.body);
      assert.ok(await signedIn(c));
      const after = (await t.app.rampart.api.findUser(email))!;
      assert.ok(after.tfPrimaryMethod, "the factor proved in this sign-in stays");
      assert.ok(after.confirmedAt, "the mailbox is proved");
    });

    it("magic link → redirected to the second factor, not signed in, the factor still set up", async () => {
      const email = "holder-link@x.test";
      await holder(email);
      const { link } = await emailCode(email);
      const c = t.app.client();
      const r = await openLink(c, pathOf(link));
      assert.equal(r.status, 302, r.body);
      assert.match(r.location!, /tf-validate|tf-select/, "the second factor is demanded");
      assert.equal(await signedIn(c), false);
      assert.ok((await t.app.rampart.api.findUser(email))!.tfPrimaryMethod, "the second factor was not removed");
    });
  });

  describe(`two-factor required: a factor set up within the sign-in that proves the mailbox is the holder's (${dialect})`, () => {
    let t: UsApp;
    before(async () => {
      t = await createUsApp(
        dialect,
        { sendLimit: 50, passwordRequired: false },
        { registration: { enabled: true }, twoFactor: { enabled: true, required: true } },
      );
    });
    after(() => t.app.close());

    it("magic link → set up an authenticator → /tf-validate: signed in, the new factor kept, the account confirmed", async () => {
      const email = "Fresh.Holder+2fa@x.test".toLowerCase();
      const reg = await post(t.app.client(), "/register", { email });
      assert.equal(reg.status, 200, reg.body);
      t.app.sink.clear();
      assert.equal(
        (await post(t.app.client(), "/us-signin/send-code", { identity: email, chosen_method: "email" })).status,
        200,
      );
      const { link } = await usMail(t, email);
      const c = t.app.client();
      const r = await openLink(c, pathOf(link!));
      assert.equal(r.status, 302, r.body);
      assert.match(r.location!, /tf-setup/, "the second factor must be set up first");
      const csrf = await c.csrf();
      const s = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      assert.equal(s.status, 200, s.body);
      toStepStart(t);
      const done = await c.post("/tf-validate", {
        json: { code: oath(t, s.json.response.tf_authr_key) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(done.status, 200, done.body);
      assert.ok(await signedIn(c), "signed in (the proof did not end the new session)");
      const user = (await t.app.rampart.api.findUser(email))!;
      assert.equal(user.tfPrimaryMethod, "authenticator", "the factor set up in this sign-in stays");
      assert.ok(user.confirmedAt);
    });
  });
}
