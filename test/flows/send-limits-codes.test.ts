import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import {
  createTfApp,
  loginPending,
  PASSWORD,
  validate,
  type TfApp,
} from "../../src/features/two-factor/testing/kit.js";

/**
 * Two-factor codes count toward the per-destination send limit too: replaying a password /login (each replay
 * mails a new code) is refused with 429 once the address had its 5 sends in the hour, and no more mail goes out.
 */
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
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(mailsTo(t).length, 5);
    });
  });
}
