import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";

const PASSWORD = "correct horse battery";

describe("demo app protected routes", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  });
  after(() => app.close());

  it("guards /api/protected with a query string or fragment too, and answers JSON for a signed-in caller", async () => {
    const anonymous = app.client();
    for (const path of ["/api/protected", "/api/protected?x=1", "/api/protected#top"]) {
      assert.equal((await anonymous.get(path, { acceptJson: true })).status, 401, path);
    }
    const c = app.client();
    await c.login("alice@x.test", PASSWORD);
    const r = await c.get("/api/protected?x=1", { acceptJson: true });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("cache-control"), "private, no-store");
    // loginRequired does not read roles, so the demo answer names none (GET /api/admin does).
    assert.deepEqual(r.json.response, { message: "Hello alice@x.test", via: "session" });
  });

  it("passes on the cookies the guard sets: a remember cookie restores a session and the new cookie arrives", async () => {
    const c = app.client();
    await c.login("alice@x.test", PASSWORD, { remember: true });
    c.jar.delete("__Host-rampart_session");
    const r = await c.get("/api/protected", { acceptJson: true });
    assert.equal(r.status, 200);
    assert.ok(
      r.setCookies.some((s) => s.startsWith("__Host-rampart_session=") && !s.startsWith("__Host-rampart_session=;")),
      r.setCookies.join(" | "),
    );
    assert.equal(r.headers.get("content-type"), "application/json");
    assert.equal(
      (await c.get("/api/protected", { acceptJson: true })).status,
      200,
      "the restored session cookie works",
    );
  });
});
