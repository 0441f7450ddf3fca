import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";

const PASSWORD = "correct horse battery";

for (const dialect of flowDialects()) {
  describe(`username sign-in and cookie tampering (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect, config: { username: { enable: true }, returnGenericResponses: false } });
      await app.rampart.api.createUser({ email: "alice@x.test", username: "Alice", password: PASSWORD });
    });
    after(() => app.close());

    it("advertises username as an identity attribute and signs in by username, case-insensitively", async () => {
      const c = app.client();
      const page = await c.get("/login", { acceptJson: true });
      assert.deepEqual(page.json.response.identity_attributes, ["email", "username"]);
      const r = await c.post("/login", {
        json: { username: "alice", password: PASSWORD },
        headers: { "x-csrf-token": page.json.response.csrf_token },
      });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(r.json.response.user, { email: "alice@x.test", username: "Alice" });
      const unknown = await app.client().login("", "", { username: "nobody", password: PASSWORD });
      assert.deepEqual(unknown.json.response.field_errors.username, ["Specified user does not exist"]);
    });

    it("a tampered or foreign remember cookie is refused and removed", async () => {
      const c = app.client();
      await c.login("alice@x.test", PASSWORD, { remember: true });
      const remember = c.jar.get("__Host-remember_token")!;
      c.jar.delete("__Host-rampart_session");
      const [body, sig] = remember.split(".");
      const forged = Buffer.from(JSON.stringify({ uid: "someone-else", iat: Math.floor(Date.now() / 1000) })).toString(
        "base64url",
      );
      for (const bad of [`${forged}.${sig}`, `${body}.${sig!.slice(0, -4)}AAAA`, "garbage", "%E0%A4%A"]) {
        const t = app.client();
        t.jar.set("__Host-remember_token", bad);
        const r = await t.get("/api/protected", { acceptJson: true });
        assert.equal(r.status, 401, bad);
        assert.ok(
          r.setCookies.some((s) => s.startsWith("__Host-remember_token=;")),
          "bad cookie cleared",
        );
      }
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200, "the genuine cookie still works");
    });
  });
}
