import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { flowDialects } from "../../../test/helpers/app.js";
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
 * Unified sign-in under the account lockout (issue 11: the former passcode budget answered 429 only for existing
 * identities and kept the owner out of their own magic links): an unknown identity is refused at the same count
 * with the same answer, and a magic link still signs its owner in while the account is locked, lifting the lock.
 */
for (const dialect of flowDialects()) {
  describe(`unified sign-in and the lockout (${dialect})`, () => {
    let t: UsApp;
    before(async () => {
      // Generic answers, as a deployment hiding which identities exist would run.
      t = await createUsApp(dialect, { sendLimit: 50 }, { returnGenericResponses: true });
    });
    after(() => t.app.close());

    it("an unknown identity gets 429 at the same count as an account, with the same answer", async () => {
      const email = "Us.Known-1+a@Sub.X.test";
      await t.app.rampart.api.createUser({ email, password: PASSWORD });
      for (let i = 1; i <= 7; i++) {
        const known = await post(t.app.client(), "/us-signin", { identity: email.toLowerCase(), passcode: `no-${i}` });
        const unknown = await post(t.app.client(), "/us-signin", {
          identity: "us.nobody@sub.x.test",
          passcode: `no-${i}`,
        });
        assert.equal(known.status, i <= 5 ? 400 : 429, `attempt ${i}: ${known.body}`);
        assert.equal(unknown.status, known.status, `attempt ${i}`);
        assert.equal(unknown.body, known.body, `attempt ${i}`);
        assert.equal(unknown.headers.has("retry-after"), known.headers.has("retry-after"));
      }
    });

    it("locked by wrong passcodes, the owner's magic link still signs in, and the lock is lifted", async () => {
      const email = "link.owner@x.test";
      const c = await signedIn(t, email);
      await setupEmail(t, c, email);
      const { code, link } = await requestEmailCode(t, email);
      for (let i = 0; i < 5; i++)
        assert.equal((await post(t.app.client(), "/us-signin", { identity: email, passcode: `bad-${i}` })).status, 400);
      const refused = await post(t.app.client(), "/us-signin", { identity: email, passcode: code });
      assert.equal(refused.status, 429, "the typed code is not judged while locked");
      const { id, code: linkCode } = Object.fromEntries(new URL(link!).searchParams) as { id: string; code: string };
      const fresh = t.app.client();
      const opened = await post(fresh, "/us-verify-link", { id, code: linkCode });
      assert.equal(opened.status, 200, opened.body);
      assert.ok(await signedInAs(fresh));
      const user = (await t.app.rampart.api.findUser(email))!;
      assert.deepEqual(await t.app.rampart.api.lockState(user), {
        failures: 0,
        locked: false,
        retryAfterSeconds: null,
      });
      assert.equal((await post(t.app.client(), "/us-signin", { identity: email, passcode: PASSWORD })).status, 200);
    });
  });
}
