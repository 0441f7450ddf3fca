import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { finishSignup, startSignup } from "./testing/signup-kit.js";

/** The app's declared registration fields bind every way of creating an account: /register and passkey sign-up. */
for (const dialect of flowDialects()) {
  describe(`passkey sign-up and the app's registration fields (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        userFields: { accept_terms: { schema: z.literal(true), register: true } } as never,
        config: {
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
          registration: { enabled: true },
          confirmation: { enabled: false },
          webauthn: { enabled: true, signup: true },
          twoFactor: { enabled: true, recoveryCodes: true },
        } as never,
      });
    });
    after(() => app.close());

    it("a required field missing or wrong: 400 INVALID_FIELD, as /register answers, and no account", async () => {
      const email = "Terms-Skipper+1@Sub.Example.test";
      for (const body of [{ email }, { email, accept_terms: false }, { email, accept_terms: "yes" }]) {
        const start = await startSignup(app.client(), body);
        assert.equal(start.status, 400, start.body);
        assert.equal(start.json.response.field_errors.accept_terms.length, 1, start.body);
        assert.equal(start.json.response.errors[0].code ?? "INVALID_FIELD", "INVALID_FIELD");
      }
      assert.equal(await app.runtime.datastore.users.findByEmail(email), null);
    });

    it("given: the account is created with the field, and user_registered carries it", async () => {
      const seen: Record<string, unknown>[] = [];
      app.runtime.events.on("user_registered", (e) => void seen.push(e.formData));
      const c = app.client();
      const email = "Terms.Accepter+2@Example.test";
      const start = await startSignup(c, { email, accept_terms: true });
      assert.equal(start.status, 200, start.body);
      const auth = new SoftAuthenticator({ origin: "https://app.test", uv: true });
      const finish = await finishSignup(
        c,
        start.json.response.wan_state,
        auth.create(start.json.response.credential_options),
      );
      assert.equal(finish.status, 200, finish.body);
      assert.equal(finish.json.response.user.accept_terms, true, finish.body);
      const user = (await app.runtime.datastore.users.findByEmail(email))!;
      assert.deepEqual(user.profile, { accept_terms: true });
      assert.ok(seen.some((f) => f.accept_terms === true && String(f.email).toLowerCase() === email.toLowerCase()));
    });
  });
}
