import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { startSmsGateway, type SmsGateway } from "../../../test/helpers/sms-gateway.js";
import { createTfApp, PASSWORD, type TfApp } from "./testing/kit.js";

/**
 * SMS pumping: a signed-in account choosing SMS at /tf-setup or /us-setup texts the number it typed. Those
 * setup texts are budgeted per account, per number and for the whole deployment (sms.setup* keys); beyond a
 * budget nothing is sent and the answer does not change, as for sign-in sends. Counted at a loopback Twilio.
 */
const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "twilio-auth-token";

for (const dialect of flowDialects()) {
  describe(`setup SMS budgets (${dialect})`, () => {
    let gateway: SmsGateway;
    let t: TfApp;
    let n = 0;
    before(async () => {
      gateway = await startSmsGateway({ accountSid: SID, authToken: TOKEN });
      t = await createTfApp(dialect, {}, false, {
        unifiedSignin: { enabled: true },
        sms: {
          service: "twilio",
          twilioBaseUrl: gateway.url,
          serviceConfig: { accountSid: SID, authToken: TOKEN, phoneNumber: "+15005550006" },
          setupLimitPerAccount: 3,
          setupLimitPerNumber: 4,
          setupLimitGlobal: 8,
          setupWindowSeconds: 600,
        },
      });
    });
    after(async () => {
      await t.app.close();
      await gateway.close();
    });

    async function signedIn(): Promise<{ c: TestClient; csrf: string }> {
      const email = `pump-${++n}.user+sms@Sub.X.test`;
      await t.app.rampart.api.createUser({ email, password: PASSWORD });
      const c = t.app.client();
      const login = await c.login(email, PASSWORD);
      assert.equal(login.status, 200, login.body);
      return { c, csrf: login.json.response.csrf_token as string };
    }
    const sentTo = (phone: string) => gateway.messages.filter((m) => m.to === phone).length;

    it("per account: the 4th setup text from one account (tf and us together) is not sent; the answer is the same 200", async () => {
      const { c, csrf } = await signedIn();
      const answers: number[] = [];
      const phones = ["+16505550101", "+16505550102", "+16505550103", "+16505550104", "+16505550105"];
      for (const [i, phone] of phones.entries()) {
        const r =
          i % 2 === 0
            ? await c.post("/tf-setup", { json: { setup: "sms", phone }, headers: { "x-csrf-token": csrf } })
            : await c.post("/us-setup", { json: { chosen_method: "sms", phone }, headers: { "x-csrf-token": csrf } });
        answers.push(r.status);
        assert.equal(
          typeof (r.json.response.tf_state_token ?? r.json.response.state),
          "string",
          "same shape whether sent or not",
        );
      }
      assert.deepEqual(answers, [200, 200, 200, 200, 200]);
      assert.deepEqual(phones.map(sentTo), [1, 1, 1, 0, 0]);
    });

    it("per number: many accounts texting one number get 4 texts through", async () => {
      const victim = "+16505550199";
      for (let i = 0; i < 3; i++) {
        const { c, csrf } = await signedIn();
        for (let j = 0; j < 2; j++) {
          const r = await c.post(j ? "/us-setup" : "/tf-setup", {
            json: j ? { chosen_method: "sms", phone: victim } : { setup: "sms", phone: victim },
            headers: { "x-csrf-token": csrf },
          });
          assert.equal(r.status, 200, r.body);
        }
      }
      assert.equal(sentTo(victim), 4);
    });

    it("globally: fresh accounts and fresh numbers stop at the deployment's budget; a new window sends again", async () => {
      assert.equal(gateway.messages.length, 7, "3 + 4 texts were sent by the tests above");
      for (let i = 0; i < 3; i++) {
        const { c, csrf } = await signedIn();
        const r = await c.post("/tf-setup", {
          json: { setup: "sms", phone: `+1650555030${i}` },
          headers: { "x-csrf-token": csrf },
        });
        assert.equal(r.status, 200, r.body);
      }
      assert.equal(gateway.messages.length, 8, "the global budget (8) let one more through");
      t.advance(601);
      const { c, csrf } = await signedIn();
      assert.equal(
        (
          await c.post("/us-setup", {
            json: { chosen_method: "sms", phone: "+16505550400" },
            headers: { "x-csrf-token": csrf },
          })
        ).status,
        200,
      );
      assert.equal(sentTo("+16505550400"), 1);
    });
  });
}
