import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import {
  createTfApp,
  enrolAuthenticator,
  loginPending,
  oath,
  PASSWORD,
  signInWithCode,
  type TfApp,
  toStepStart,
  validate,
} from "./testing/kit.js";

/**
 * SECURITY I72: disabling two-factor or switching its method needs fresh authentication INCLUDING the current
 * second factor (a sign-in that proved it within the freshness window, or the current code in the request),
 * and mails the user a notice. A first setup needs only the usual freshness.
 */
for (const dialect of flowDialects()) {
  describe(`two-factor changes need the current second factor (${dialect})`, () => {
    let t: TfApp;
    const secrets: Record<string, string> = {};
    const disabled: string[] = [];
    const changed: string[] = [];
    before(async () => {
      t = await createTfApp(dialect, {}, true, { freshness: { withinSeconds: 60 } });
      t.app.rampart.events.on("tf_disabled", ({ user }) => void disabled.push(user.email));
      t.app.rampart.events.on("tf_profile_changed", ({ user, method }) => void changed.push(`${user.email}:${method}`));
      for (const name of ["carol", "dave"]) secrets[name] = await enrolAuthenticator(t, `${name}@x.test`);
    });
    after(() => t.app.close());

    const noticeTo = (email: string) =>
      t.app.sink.messages.filter(
        (m) => m.envelopeTo.includes(email) && m.subject === "Two-factor authentication changed",
      );

    it("fresh by password only (/verify after the 2FA sign-in went stale) → 401 TWO_FACTOR_FRESH_REQUIRED, nothing changes, no mail; + current code → disabled and a notice", async () => {
      const { c, csrf } = await signInWithCode(t, "carol@x.test", secrets.carol!);
      t.advance(61);
      const verify = await c.post("/verify", { json: { password: PASSWORD }, headers: { "x-csrf-token": csrf } });
      assert.equal(verify.status, 200, verify.body);
      const csrf2 = verify.json.response.csrf_token as string;
      t.app.sink.clear();
      for (const setup of ["disable", "email"]) {
        const r = await c.post("/tf-setup", { json: { setup }, headers: { "x-csrf-token": csrf2 } });
        assert.equal(r.status, 401, r.body);
        assert.deepEqual(r.json.response.error_codes, ["TWO_FACTOR_FRESH_REQUIRED"]);
        assert.equal(typeof r.json.response.errors[0], "string");
      }
      const wrong = await c.post("/tf-setup", {
        json: { setup: "disable", code: oath(t, secrets.carol!, 300) },
        headers: { "x-csrf-token": csrf2 },
      });
      assert.equal(wrong.status, 400, wrong.body);
      assert.deepEqual(wrong.json.response.field_errors, { code: ["Invalid code"] });
      assert.equal((await t.app.rampart.datastore.users.findByEmail("carol@x.test"))!.tfPrimaryMethod, "authenticator");
      assert.equal(t.app.sink.messages.length, 0, "no code mail, no notice");
      assert.ok(!disabled.includes("carol@x.test"));

      const ok = await c.post("/tf-setup", {
        json: { setup: "disable", code: oath(t, secrets.carol!) },
        headers: { "x-csrf-token": csrf2 },
      });
      assert.equal(ok.status, 200, ok.body);
      assert.equal((await t.app.rampart.datastore.users.findByEmail("carol@x.test"))!.tfPrimaryMethod, null);
      assert.ok(disabled.includes("carol@x.test"));
      const notice = await t.app.sink.waitFor((m) => m.envelopeTo.includes("carol@x.test"));
      assert.equal(notice.subject, "Two-factor authentication changed");
      assert.match(notice.text, /Two-factor authentication was disabled/);
    });

    it("a session whose sign-in proved the code within the window switches the method (state token) → notice; once stale it cannot", async () => {
      const { c, csrf } = await signInWithCode(t, "dave@x.test", secrets.dave!);
      t.app.sink.clear();
      const s = await c.post("/tf-setup", { json: { setup: "email" }, headers: { "x-csrf-token": csrf } });
      assert.equal(s.status, 200, s.body);
      const mail = await t.app.sink.waitFor(
        (m) => m.envelopeTo.includes("dave@x.test") && /code is: \d{6}/.test(m.text),
      );
      const code = /code is: (\d{6})/.exec(mail.text)![1]!;
      assert.equal(noticeTo("dave@x.test").length, 0, "no notice before the change is committed");
      const done = await c.post(`/tf-setup/${s.json.response.tf_state_token}`, {
        json: { code },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(done.status, 200, done.body);
      assert.equal((await t.app.rampart.datastore.users.findByEmail("dave@x.test"))!.tfPrimaryMethod, "email");
      assert.ok(changed.includes("dave@x.test:email"));
      const notice = await t.app.sink.waitFor(
        (m) => m.envelopeTo.includes("dave@x.test") && m.subject === "Two-factor authentication changed",
      );
      assert.match(notice.text, /changed to email/);

      t.advance(61);
      const verify = await c.post("/verify", { json: { password: PASSWORD }, headers: { "x-csrf-token": csrf } });
      assert.equal(verify.status, 200, verify.body);
      const stale = await c.post("/tf-setup", {
        json: { setup: "disable" },
        headers: { "x-csrf-token": verify.json.response.csrf_token },
      });
      assert.equal(stale.status, 401, stale.body);
      assert.deepEqual(stale.json.response.error_codes, ["TWO_FACTOR_FRESH_REQUIRED"]);
    });

    it("a state token minted before the user had a method cannot replace the method set up since", async () => {
      await t.app.rampart.api.createUser({ email: "erin@x.test", password: PASSWORD });
      const c = t.app.client();
      const csrf = (await c.login("erin@x.test", PASSWORD)).json.response.csrf_token as string;
      const first = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      const second = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      assert.equal(second.status, 200, second.body);
      toStepStart(t);
      const one = await c.post(`/tf-setup/${first.json.response.tf_state_token}`, {
        json: { code: oath(t, first.json.response.tf_authr_key) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(one.status, 200, "a first setup needs only freshness");
      t.advance(30);
      const two = await c.post(`/tf-setup/${second.json.response.tf_state_token}`, {
        json: { code: oath(t, second.json.response.tf_authr_key) },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(two.status, 400, two.body);
      assert.deepEqual(two.json.response.error_codes, ["API_ERROR"]);
      assert.equal(noticeTo("erin@x.test").length, 0);
    });
  });
}
