import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import { startSmsGateway, type SmsGateway } from "../helpers/sms-gateway.js";
import {
  createTfApp,
  loginPending,
  PASSWORD,
  validate,
  type TfApp,
} from "../../src/features/two-factor/testing/kit.js";

/**
 * Two-factor codes count toward the per-destination send limit too: replaying a password /login (each replay
 * mails or texts a new code) is refused with 429 once the destination had its 5 sends in the hour, and nothing
 * more goes out.
 */
const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "twilio-auth-token";
const EMAIL = "Code.Owner-1+tf@Sub.Example.test";

const mailsTo = (t: TfApp) =>
  t.app.sink.messages.filter((m) => m.envelopeTo.some((a) => a.toLowerCase() === EMAIL.toLowerCase()));

for (const dialect of flowDialects()) {
  describe(`send limits on two-factor codes (${dialect})`, () => {
    let t: TfApp;
    before(async () => {
      t = await createTfApp(dialect, { required: true }, true);
      await t.app.rampart.api.createUser({ email: EMAIL, password: PASSWORD });
    });
    after(() => t.app.close());

    it("setup + 4 login replays mail 5 codes; the next replay is 429 and mails nothing", async () => {
      const c = t.app.client();
      const l = await loginPending(c, EMAIL, "setup_from_login");
      const csrf = l.json.response.csrf_token as string;
      const s = await c.post("/tf-setup", { json: { setup: "email" }, headers: { "x-csrf-token": csrf } });
      assert.equal(s.status, 200, s.body);
      const setupMail = await t.app.sink.waitFor((m) =>
        m.envelopeTo.some((a) => a.toLowerCase() === EMAIL.toLowerCase()),
      );
      const code = /(\d{6})/.exec(setupMail.text)![1]!;
      assert.equal((await validate(c, csrf, code)).status, 200);

      for (let i = 0; i < 4; i++) await loginPending(t.app.client(), EMAIL, "ready");
      const replay = await t.app.client().login(EMAIL, PASSWORD);
      assert.equal(replay.status, 429, replay.body);
      assert.ok(Number(replay.headers.get("retry-after")) > 0);
      assert.deepEqual(replay.json.response.error_codes, ["TOO_MANY_REQUESTS"]);
      // Everything the requests started has finished (work after the answer, the outbox): the count is exact.
      await t.app.runtime.deferred.drain();
      await t.app.runtime.outbox.drain();
      assert.equal(mailsTo(t).length, 5);
    });
  });
}

for (const dialect of flowDialects()) {
  describe(`send limits on two-factor SMS codes (${dialect})`, () => {
    let t: TfApp;
    let gateway: SmsGateway;
    const PHONE = "+16505551212";
    before(async () => {
      gateway = await startSmsGateway({ accountSid: SID, authToken: TOKEN });
      t = await createTfApp(dialect, { required: true }, true, {
        sms: {
          service: "twilio",
          twilioBaseUrl: gateway.url,
          serviceConfig: { accountSid: SID, authToken: TOKEN, phoneNumber: "+15005550006" },
        },
      });
      await t.app.rampart.api.createUser({ email: "sms.owner+tf@x-y.example.test", password: PASSWORD });
    });
    after(async () => {
      await t.app.close();
      await gateway.close();
    });

    it("setup + 4 login replays text 5 codes to the phone; the next replay is 429 and texts nothing", async () => {
      const email = "sms.owner+tf@x-y.example.test";
      const c = t.app.client();
      const l = await loginPending(c, email, "setup_from_login");
      const csrf = l.json.response.csrf_token as string;
      const s = await c.post("/tf-setup", {
        json: { setup: "sms", phone: "(650) 555-1212" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(s.status, 200, s.body);
      const sms = await gateway.waitFor((m) => m.to === PHONE);
      assert.equal((await validate(c, csrf, /(\d{6})/.exec(sms.body)![1]!)).status, 200);

      for (let i = 0; i < 4; i++) await loginPending(t.app.client(), email, "ready");
      const replay = await t.app.client().login(email, PASSWORD);
      assert.equal(replay.status, 429, replay.body);
      assert.deepEqual(replay.json.response.error_codes, ["TOO_MANY_REQUESTS"]);
      // Everything the requests started has finished (work after the answer, the outbox): the count is exact.
      await t.app.runtime.deferred.drain();
      await t.app.runtime.outbox.drain();
      assert.equal(gateway.messages.filter((m) => m.to === PHONE).length, 5);
    });
  });
}

for (const dialect of flowDialects()) {
  describe(`anonymous requests cannot use up an owner's sign-in codes (${dialect})`, () => {
    let t: TfApp;
    const OWNER = "Busy.Owner-2+tf@Sub.Example.test";
    before(async () => {
      t = await createTfApp(dialect, { required: true }, true, { recovery: { enabled: true } });
      await t.app.rampart.api.createUser({ email: OWNER, password: PASSWORD });
    });
    after(() => t.app.close());

    it("after the address's anonymous budget is spent by /reset requests, the owner's login still gets its code", async () => {
      const owner = t.app.client();
      const first = await loginPending(owner, OWNER, "setup_from_login");
      const csrf = first.json.response.csrf_token as string;
      const s = await owner.post("/tf-setup", { json: { setup: "email" }, headers: { "x-csrf-token": csrf } });
      assert.equal(s.status, 200, s.body);
      const setupMail = await t.app.sink.waitFor((m) => /\d{6}/.test(m.text));
      assert.equal((await validate(owner, csrf, /(\d{6})/.exec(setupMail.text)![1]!)).status, 200);

      // Someone else asks for resets of the owner's address until the address is refused to them.
      const attacker = t.app.client();
      const resets: number[] = [];
      for (let i = 0; i < 7; i++) {
        const tok = await attacker.csrf();
        resets.push(
          (await attacker.post("/reset", { json: { email: OWNER }, headers: { "x-csrf-token": tok } })).status,
        );
      }
      assert.deepEqual(resets, [200, 200, 200, 200, 200, 429, 429]);

      // The owner signs in: the second-factor code still goes out and works.
      t.app.sink.clear();
      const c = t.app.client();
      const l = await loginPending(c, OWNER, "ready");
      const mail = await t.app.sink.waitFor((m) => /\d{6}/.test(m.text));
      const ok = await validate(c, l.json.response.csrf_token as string, /(\d{6})/.exec(mail.text)![1]!);
      assert.equal(ok.status, 200, ok.body);
    });
  });
}
