import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { flowDialects } from "../../../test/helpers/app.js";
import { createTfApp, enrolAuthenticator, loginPending, PASSWORD, signInWithCode, type TfApp } from "./testing/kit.js";

/**
 * /tf-setup and /tf-validate serve a pending sign-in and a signed-in user with a handler each (defineCallerRoutes):
 * the pending sign-in is tried first, the signed-in handler declares its own requirement (fresh for POST
 * /tf-setup), and the API document shows one operation that either kind of caller may call.
 */
for (const dialect of flowDialects()) {
  describe(`two-factor routes chosen by the kind of caller (${dialect})`, () => {
    let t: TfApp;
    let secret = "";
    const SIGNED = "Signed.In-User+tf@Sub.Example.test";
    before(async () => {
      t = await createTfApp(dialect, { required: true }, false, { freshness: { withinSeconds: 60 } });
      secret = await enrolAuthenticator(t, SIGNED);
      await t.app.rampart.api.createUser({ email: "pending.setup+1@example.test", password: PASSWORD });
    });
    after(() => t.app.close());

    it("a stale session alone: POST /tf-setup asks to re-authenticate; with a pending sign-in's cookie too, the pending sign-in is served", async () => {
      const { c, csrf } = await signInWithCode(t, SIGNED, secret);
      t.advance(61);
      const stale = await c.post("/tf-setup", { json: { setup: "authenticator" }, headers: { "x-csrf-token": csrf } });
      assert.equal(stale.status, 401, stale.body);
      assert.equal(stale.json.response.reauth_required, true);

      const p = t.app.client();
      await loginPending(p, "pending.setup+1@example.test", "setup_from_login");
      const pendingCookie = `__Host-rampart_tf=${p.jar.get("__Host-rampart_tf")}`;
      const both = await c.post("/tf-setup", {
        json: { setup: "authenticator" },
        headers: { "x-csrf-token": csrf, cookie: `${c.cookieHeader()}; ${pendingCookie}` },
      });
      assert.equal(both.status, 200, both.body);
      assert.equal(both.json.response.tf_state, "validating_profile");
      assert.equal(both.json.response.tf_state_token, null, "the pending sign-in's set-up, not the signed-in one");
      const form = await c.get("/tf-setup", {
        acceptJson: true,
        headers: { cookie: `${c.cookieHeader()}; ${pendingCookie}` },
      });
      assert.equal(form.status, 200, form.body);
    });

    it("the API document: one operation per method and path, callable by a pending sign-in or a signed-in caller", async () => {
      const doc = JSON.parse((await t.app.client().get("/openapi.json")).body);
      const result = await new Validator().validate(structuredClone(doc));
      assert.equal(result.valid, true, JSON.stringify(result.errors));
      for (const path of ["/tf-setup", "/tf-validate"]) {
        for (const method of ["get", "post"]) {
          const op = doc.paths[path][method];
          assert.ok(op, `${method} ${path}`);
          assert.deepEqual(op.security[0], {}, `${method} ${path}: no credential needed for a pending sign-in`);
          assert.ok(op.security.some((s: Record<string, unknown>) => "session" in s));
          assert.match(op.description, /pending sign-in/);
          assert.ok(op.responses["401"], `${method} ${path} documents 401`);
        }
      }
      // Routes that serve only a pending sign-in say so, and ask for no credential.
      for (const [path, method] of [
        ["/tf-select", "get"],
        ["/tf-select", "post"],
        ["/tf-rescue", "get"],
      ] as const) {
        const op = doc.paths[path][method];
        assert.equal(op.description, "Served to a pending sign-in (its cookie is the credential).", path);
        assert.equal(op.security, undefined, path);
      }
    });
  });
}
