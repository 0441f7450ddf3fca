import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import { startSmsGateway, type SmsGateway } from "../../../test/helpers/sms-gateway.js";
import {
  codeIn,
  createUsApp,
  oath,
  post,
  setupEmail,
  signedIn,
  signedInAs,
  toStepStart,
  type UsApp,
} from "./testing/kit.js";

/** /us-setup for SMS and authenticator (oathtool), removal, and signing in with each. */
const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "twilio-auth-token";

for (const dialect of flowDialects()) {
  describe(`unified sign-in setup (${dialect})`, () => {
    let t: UsApp;
    let gateway: SmsGateway;
    before(async () => {
      gateway = await startSmsGateway({ accountSid: SID, authToken: TOKEN });
      t = await createUsApp(
        dialect,
        {},
        {
          freshness: { withinSeconds: 600, gracePeriodSeconds: 0 },
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

    it("SMS: setup texts a code, the code commits the E.164 phone; a code by SMS then signs in; the phone is unique", async () => {
      const c = await signedIn(t, "sms@x.test");
      const info = await c.get("/us-setup", { acceptJson: true });
      assert.equal(info.status, 200, info.body);
      assert.deepEqual(info.json.response.active_methods, ["password"]);
      assert.deepEqual(info.json.response.setup_methods, ["email", "authenticator", "sms"]);
      const s = await post(c, "/us-setup", { chosen_method: "sms", phone: "650-555-1212" });
      assert.equal(s.status, 200, s.body);
      assert.equal(s.json.response.phone, "+16505551212");
      const sms = gateway.messages.at(-1)!;
      assert.equal(sms.to, "+16505551212");
      const wrong = await post(c, `/us-setup/${s.json.response.state}`, {
        passcode: codeIn(sms.body) === "000000" ? "111111" : "000000",
      });
      assert.equal(wrong.status, 400);
      const done = await post(c, `/us-setup/${s.json.response.state}`, { passcode: codeIn(sms.body) });
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.phone, "+16505551212");
      assert.equal(done.json.response.chosen_method, "sms");
      const after = await c.get("/us-setup", { acceptJson: true });
      assert.deepEqual(after.json.response.active_methods, ["password", "sms"]);

      const send = await post(t.app.client(), "/us-signin/send-code", { identity: "sms@x.test", chosen_method: "sms" });
      assert.equal(send.status, 200, send.body);
      const signin = await post(t.app.client(), "/us-signin", {
        identity: "sms@x.test",
        passcode: codeIn(gateway.messages.at(-1)!.body),
      });
      assert.equal(signin.status, 200, signin.body);

      const other = await signedIn(t, "sms2@x.test");
      const s2 = await post(other, "/us-setup", { chosen_method: "sms", phone: "+1 650 555 1212" });
      assert.equal(s2.status, 200, s2.body);
      const taken = await post(other, `/us-setup/${s2.json.response.state}`, {
        passcode: codeIn(gateway.messages.at(-1)!.body),
      });
      assert.equal(taken.status, 400, taken.body);
      assert.equal(
        taken.json.response.field_errors.phone[0],
        "Identity attribute 'us_phone_number' with value '+16505551212' is already associated with an account.",
      );
    });

    it("authenticator: setup returns the key and URI; an oathtool code commits it and later signs in; a code works once", async () => {
      const c = await signedIn(t, "authr@x.test");
      const s = await post(c, "/us-setup", { chosen_method: "authenticator" });
      assert.equal(s.status, 200, s.body);
      const r = s.json.response;
      assert.equal(r.authr_issuer, "Rampart Test");
      assert.equal(r.authr_username, "authr@x.test");
      assert.match(r.authr_uri, /^otpauth:\/\/totp\//);
      toStepStart(t);
      const done = await post(c, `/us-setup/${r.state}`, { passcode: oath(t, r.authr_key) });
      assert.equal(done.status, 200, done.body);
      t.advance(30);
      const code = oath(t, r.authr_key);
      const signin = await post(t.app.client(), "/us-signin", { identity: "authr@x.test", passcode: code });
      assert.equal(signin.status, 200, signin.body);
      assert.equal(
        (await post(t.app.client(), "/us-signin", { identity: "authr@x.test", passcode: code })).status,
        400,
        "replayed",
      );
    });

    it("bad setup input: unknown method, invalid phone, nothing chosen, forged or expired state", async () => {
      const c = await signedIn(t, "bad@x.test");
      const unknown = await post(c, "/us-setup", { chosen_method: "carrier-pigeon" });
      assert.deepEqual(unknown.json.response.field_errors.chosen_method, ["Requested method is not valid"]);
      const phone = await post(c, "/us-setup", { chosen_method: "sms", phone: "12" });
      assert.deepEqual(phone.json.response.field_errors.phone, ["Phone number not valid"]);
      const nothing = await post(c, "/us-setup", {});
      assert.equal(nothing.status, 400);
      const forged = await post(c, "/us-setup/not-a-state", { passcode: "123456" });
      assert.equal(forged.status, 400);
      const s = await post(c, "/us-setup", { chosen_method: "authenticator" });
      t.advance(31 * 60);
      const expired = await post(c, `/us-setup/${s.json.response.state}`, { passcode: "123456" });
      assert.equal(expired.status, 400);
      assert.match(expired.json.response.errors[0], /^Setup must be completed within 30 minutes/);
    });

    it("a method can be removed, but not the last way to sign in", async () => {
      const c = await signedIn(t, "del@x.test");
      await setupEmail(t, c, "del@x.test");
      const added = await t.app.sink.waitFor(
        (m) => m.envelopeTo.includes("del@x.test") && m.subject === "Your sign-in methods changed",
      );
      assert.match(added.text, /A way to sign in to .* was added: email\./);
      t.app.sink.clear();
      const removed = await post(c, "/us-setup", { delete_method: ["email"] });
      assert.equal(removed.status, 200, removed.body);
      assert.deepEqual(removed.json.response.active_methods, ["password"]);
      const notice = await t.app.sink.waitFor(
        (m) => m.envelopeTo.includes("del@x.test") && m.subject === "Your sign-in methods changed",
      );
      assert.match(notice.text, /was removed: email\./);
      const c2 = await signedIn(t, "last@x.test");
      await setupEmail(t, c2, "last@x.test");
      await t.app.runtime.datastore.users.update((await t.app.rampart.api.findUser("last@x.test"))!.id, {
        password: null,
      });
      const last = await post(c2, "/us-setup", { delete_method: "email" });
      assert.equal(last.status, 400, last.body);
      assert.deepEqual(last.json.response.field_errors.delete_method, ["The last way to sign in cannot be removed"]);
    });

    it("/us-setup needs a fresh sign-in: stale → 401 reauth with unified_signin_enabled; /us-verify with a code refreshes (and gives a token)", async () => {
      const c = await signedIn(t, "fresh@x.test");
      await setupEmail(t, c, "fresh@x.test");
      t.advance(11 * 60);
      const stale = await c.get("/us-setup", { acceptJson: true });
      assert.equal(stale.status, 401, stale.body);
      assert.equal(stale.json.response.reauth_required, true);
      assert.equal(stale.json.response.unified_signin_enabled, true);
      const v = await c.get("/us-verify", { acceptJson: true });
      assert.deepEqual(v.json.response.code_methods, ["email"]);
      const sent = await post(c, "/us-verify/send-code", { chosen_method: "email" });
      assert.equal(sent.status, 200, sent.body);
      const mail = await t.app.sink.waitFor(
        (m) => m.envelopeTo.includes("fresh@x.test") && m.subject === "Verification Code",
      );
      t.app.sink.clear();
      assert.doesNotMatch(mail.text, /us-verify-link/, "no magic link for re-authentication");
      const ok = await post(c, "/us-verify?include_auth_token", { passcode: codeIn(mail.text) });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(
        typeof (ok.json.response.user.authentication_token ?? ok.json.response.authentication_token),
        "string",
      );
      assert.equal((await c.get("/us-setup", { acceptJson: true })).status, 200);
      assert.ok(await signedInAs(c));
    });
  });
}
