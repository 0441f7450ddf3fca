import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { getChangeRoute, postChangeRoute } from "./change.js";
import { changePasswordFeature } from "./index.js";

/** POST /change and api.changePassword share one operation: the same policy, audit event and password_changed. */
const OLD = "correct horse battery";

for (const dialect of flowDialects()) {
  describe(`changing a password from HTTP and from code (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    const changed: string[] = [];
    before(async () => {
      app = await createTestApp({
        dialect,
        config: { changePassword: { enabled: true } },
        features: [changePasswordFeature],
      });
      app.rampart.events.on("password_changed", ({ user }) => void changed.push(user.email));
    });
    after(() => app.close());

    const newUser = async () => {
      const email = `Pat.O-Brien+${++n}@Mail.Sub-Domain.test`;
      return app.rampart.api.createUser({ email, password: OLD });
    };

    it("api.changePassword emits password_changed and audits as /change does; the policy refuses alike", async () => {
      const viaHttp = await newUser();
      const c = app.client();
      await c.login(viaHttp.email, OLD);
      const form = await c.get("/change", { acceptJson: true });
      getChangeRoute("/change").output!.parse(form.json.response);
      changed.length = 0;
      const r = await c.post("/change", {
        json: { password: OLD, new_password: "first new passphrase", new_password_confirm: "first new passphrase" },
        headers: { "x-csrf-token": form.json.response.csrf_token },
      });
      assert.equal(r.status, 200, r.body);
      postChangeRoute("/change").output!.parse(r.json.response);

      const viaApi = await newUser();
      const other = app.client();
      await other.login(viaApi.email, OLD);
      await app.rampart.api.changePassword(viaApi, "second new passphrase");
      assert.deepEqual(changed, [viaHttp.email, viaApi.email]);
      assert.equal(
        (await other.get("/api/protected", { acceptJson: true })).status,
        401,
        "the api's change ended the session",
      );
      assert.equal((await app.client().login(viaApi.email, "second new passphrase")).status, 200);

      const rows = await app.rampart.api.auditEvents({ event: "password_changed" });
      assert.deepEqual(rows.find((e) => e.userId === viaApi.id)?.details, { by: "admin" });
      assert.equal(rows.find((e) => e.userId === viaApi.id)?.userAgent, "api");
      assert.equal(rows.find((e) => e.userId === viaHttp.id)?.details?.by, "self");

      await assert.rejects(
        app.rampart.api.changePassword(viaApi, "short"),
        (e: Error & { code?: string }) => e.code === "PASSWORD_INVALID_LENGTH",
      );
      assert.deepEqual(changed, [viaHttp.email, viaApi.email], "a refused password changes nothing");
    });
  });
}
