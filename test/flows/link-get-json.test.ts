import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { linksIn } from "../helpers/smtp-sink.js";
import { PASSWORD, linkPath, mailTo, register, registration } from "../../src/features/registration/testing/support.js";

/**
 * An API caller (Accept: application/json) opening an emailed link that only shows a form — a valid reset link,
 * or a confirmation link that signs in and so is not used by a GET — gets a CSRF token to POST it with, and the
 * link stays unused; a browser gets the page.
 */
for (const dialect of flowDialects()) {
  describe(`a JSON GET of a form link answers {csrf_token} (${dialect})`, { timeout: 90_000 }, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          registration: { enabled: true },
          recovery: { enabled: true },
          confirmation: { enabled: true, autoLoginAfterConfirm: true },
        },
      });
    });
    after(() => app?.close());

    it("a valid reset link: {csrf_token} with no Referer, then the POST with that token resets", async () => {
      const email = "Reset.Json-1+x@Sub.Example.test";
      await app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      const c = app.client();
      assert.equal(
        (await c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } })).status,
        200,
      );
      const mail = await app.sink.waitFor(
        (m) =>
          m.envelopeTo.includes("Reset.Json-1+x@sub.example.test") && linksIn(m).some((u) => u.includes("/reset/")),
      );
      const path = new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname;
      const r = await c.get(path, { acceptJson: true });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(Object.keys(r.json.response), ["csrf_token"]);
      assert.equal(r.headers.get("referrer-policy"), "no-referrer");
      const done = await c.post(path, {
        json: { password: "another long passphrase", password_confirm: "another long passphrase" },
        headers: { "x-csrf-token": r.json.response.csrf_token },
      });
      assert.equal(done.status, 200, done.body);
      assert.deepEqual(done.json.response, {});
      const bad = await c.get("/reset/nonsense", { acceptJson: true });
      assert.equal(bad.status, 302, "a refused link redirects every caller, as FS does");
    });

    it("a confirmation link that signs in: {csrf_token}, nothing used, nobody signed in; its POST confirms", async () => {
      const email = "Confirm.Json-2+x@Sub.Example.test";
      const stored = "Confirm.Json-2+x@sub.example.test";
      assert.equal((await register(app.client(), registration(email))).status, 200);
      const path = linkPath(await mailTo(app, stored, "Welcome"));
      const c = app.client();
      const r = await c.get(path, { acceptJson: true });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(Object.keys(r.json.response), ["csrf_token"]);
      assert.equal(r.headers.get("cache-control"), "no-store");
      assert.equal((await app.rampart.api.findUser(stored))!.confirmedAt, null, "the GET used nothing");
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
      const done = await c.post(path, { json: {}, headers: { "x-csrf-token": r.json.response.csrf_token } });
      assert.equal(done.status, 302, done.body);
      assert.ok((await app.rampart.api.findUser(stored))!.confirmedAt);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    });
  });
}
