import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";

/**
 * HTTP basic checks its password through the one credential check like /login: a failure (unknown user or wrong
 * password) emits `user_failed_authn` and leaves an audit row under the typed identity.
 */
const PASSWORD = "correct horse battery";

for (const dialect of flowDialects()) {
  describe(`HTTP basic goes through verifyCredential (${dialect})`, () => {
    let app: TestApp;
    const failed: string[] = [];
    before(async () => {
      app = await createTestApp({ dialect });
      await app.rampart.api.createUser({ email: "Basic.User+1@Sub.X.test", password: PASSWORD });
      app.rampart.events.on("user_failed_authn", (e) => void failed.push(`${e.authType}:${e.reason}:${e.identity}`));
    });
    after(() => app.close());

    const call = (userPass: string) =>
      app.rampart.guards.check(
        new Request("https://app.test/api/basic", {
          headers: { authorization: "Basic " + Buffer.from(userPass).toString("base64"), accept: "application/json" },
        }),
        app.rampart.guards.authRequired("basic"),
      );

    it("a wrong password and an unknown user are refused, reported and audited; the right one passes", async () => {
      assert.equal((await call("Basic.User+1@sub.x.test:nope")).ok, false);
      assert.equal((await call("no-body@sub.x.test:" + PASSWORD)).ok, false);
      assert.deepEqual(failed.slice(-2), [
        "basic:INVALID_PASSWORD:Basic.User+1@sub.x.test",
        "basic:USER_DOES_NOT_EXIST:no-body@sub.x.test",
      ]);
      const rows = (await app.rampart.api.auditEvents({ event: "login" })).filter((r) => r.outcome === "failure");
      assert.deepEqual(
        rows.slice(0, 2).map((r) => [r.identity, r.details]),
        [
          ["no-body@sub.x.test", { via: "basic", reason: "USER_DOES_NOT_EXIST" }],
          ["Basic.User+1@sub.x.test", { via: "basic", reason: "INVALID_PASSWORD" }],
        ],
      );
      assert.equal((await call("Basic.User+1@sub.x.test:" + PASSWORD)).ok, true);
    });
  });
}
