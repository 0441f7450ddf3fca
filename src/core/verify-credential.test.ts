import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { RequestContext } from "./context.js";
import { passwordCredential, verifyCredential } from "./verify-credential.js";

// The audit name this test's check records under (audit names are a closed union features grow).
declare module "./audit.js" {
  interface AuditEvents {
    test_check: true;
  }
}

/** Every credential check draws its limits before judging, does the same work for nobody, and reports failures. */
describe("verifyCredential", () => {
  let app: TestApp;
  const failures: { identity: string | null; authType: string; reason: string }[] = [];
  before(async () => {
    app = await createTestApp();
    await app.rampart.api.createUser({ email: "c-red+ential@Sub.x.test", password: "correct horse battery" });
    app.rampart.events.on(
      "user_failed_authn",
      (e) => void failures.push({ identity: e.identity, authType: e.authType, reason: e.reason }),
    );
  });
  after(() => app.close());
  const ctx = () => new RequestContext(app.runtime, new Request("https://app.test/x", { method: "POST" }));

  it("a spent limit refuses before the credential is evaluated, even a correct one (no failure reported for it)", async () => {
    const user = await app.rampart.datastore.users.findByEmail("c-red+ential@sub.x.test");
    let judged = 0;
    const check = (password: string) => {
      const c = ctx();
      const pw = passwordCredential(c, password);
      return verifyCredential(c, user, {
        kind: "test",
        audit: "test_check",
        limit: { spec: { name: "test-check", points: 2, durationSeconds: 60 }, key: `test:${user!.id}` },
        verify: async (u) => (judged++, pw.verify(u)),
        dummy: pw.dummy,
      });
    };
    assert.equal((await check("wrong guess")).ok, false);
    assert.equal((await check("another wrong guess")).ok, false);
    const third = await check("correct horse battery");
    assert.deepEqual(third.ok ? "ok" : third.reason, "BUDGET_SPENT");
    assert.ok(!third.ok && third.retryAfterSeconds! > 0 && third.retryAfterSeconds! <= 60);
    assert.equal(judged, 2, "the third attempt was never evaluated");
    // A refusal before evaluation is no failed authentication (nothing was judged): the record stays bounded.
    assert.deepEqual(
      failures.slice(-3).map((f) => f.reason),
      ["USER_DOES_NOT_EXIST", "INVALID_PASSWORD", "INVALID_PASSWORD"].slice(-failures.slice(-3).length),
    );
    assert.equal(failures.filter((f) => f.reason === "BUDGET_SPENT").length, 0);
  });

  it("an unknown subject gets the dummy work and a USER_DOES_NOT_EXIST failure under the typed identity", async () => {
    let dummies = 0;
    const c = ctx();
    const result = await verifyCredential(c, null, {
      kind: "password",
      audit: "login",
      identity: "No-Body+x@Sub.x.test",
      verify: async () => assert.fail("nobody to verify"),
      dummy: async () => void dummies++,
    });
    assert.deepEqual(result, { ok: false, reason: "USER_DOES_NOT_EXIST", user: null });
    assert.equal(dummies, 1);
    assert.deepEqual(failures.at(-1), {
      identity: "No-Body+x@Sub.x.test",
      authType: "password",
      reason: "USER_DOES_NOT_EXIST",
    });
  });
});
