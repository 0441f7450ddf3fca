import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { linksIn } from "../../../test/helpers/smtp-sink.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { passkeyStore } from "./store.js";
import { finishSignup, signUp, signupApp, startSignup } from "./testing/signup-kit.js";

/**
 * A passkey-first account without confirmation: signed in by its passkey at once; elsewhere it is a password-less
 * account (the recovery codes are counted at /mf-recovery-codes, /change sets a first password without a current
 * one, /reset sets one); one state finishes one sign-up however many times it is posted at once.
 */
const csrfOf = async (c: TestClient, path: string) =>
  (await c.get(path, { acceptJson: true })).json.response.csrf_token as string;

for (const dialect of flowDialects()) {
  describe(`passkey sign-up without confirmation (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await signupApp(dialect, {
        confirmation: false,
        config: {
          changePassword: { enabled: true },
          recovery: { enabled: true },
          username: { enable: true, required: true },
          rateLimit: { sendsPerDestination: 100 },
        },
      });
    });
    after(() => app.close());

    it("signs the new user in (passkey with user verification: multi-factor), answers the codes once; /mf-recovery-codes counts them", async () => {
      const c = app.client();
      const auth = new SoftAuthenticator({ origin: "https://app.test", uv: true });
      const missing = await startSignup(c, { email: "No.Name+x@Sub.Example.test" });
      assert.equal(missing.status, 400);
      assert.ok(missing.json.response.field_errors.username, "usernames required: as /register");
      const { finish } = await signUp(c, auth, { email: "Signed.In+x@Sub.Example.test", username: "passkeyperson" });
      assert.equal(finish.status, 200, finish.body);
      assert.equal(finish.json.response.tf_required, false);
      assert.equal(finish.json.response.recovery_codes.length, 5);
      assert.equal(finish.json.response.user.username, "passkeyperson");
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200, "signed in");

      const listed = await c.get("/mf-recovery-codes", { acceptJson: true });
      assert.equal(listed.status, 200, listed.body);
      assert.equal(listed.json.response.codes_left, 5);
      assert.deepEqual(listed.json.response.recovery_codes, [], "never shown again");
      const user = (await app.runtime.datastore.users.findByEmail("signed.in+x@sub.example.test"))!;
      assert.equal((await app.runtime.datastore.store(passkeyStore).listForUser(user.id)).length, 1);
    });

    it("/change: the password-less account sets a first password without a current one; then /login works", async () => {
      const c = app.client();
      await signUp(c, new SoftAuthenticator({ origin: "https://app.test", uv: true }), {
        email: "Change-Me@Example.test",
        username: "changeme",
      });
      const form = await c.get("/change", { acceptJson: true });
      assert.equal(form.status, 200, form.body);
      assert.equal(form.json.response.active_password, false);
      const set = await c.post("/change", {
        json: { new_password: "a brand new passphrase", new_password_confirm: "a brand new passphrase" },
        headers: { "x-csrf-token": form.json.response.csrf_token },
      });
      assert.equal(set.status, 200, set.body);
      assert.equal((await app.client().login("change-me@example.test", "a brand new passphrase")).status, 200);
    });

    it("/reset sets a password on a password-less account", async () => {
      const auth = new SoftAuthenticator({ origin: "https://app.test" });
      await signUp(app.client(), auth, { email: "Reset.Me@Example.test", username: "resetme" });
      const c = app.client();
      const forgot = await c.post("/reset", {
        json: { email: "reset.me@example.test" },
        headers: { "x-csrf-token": await c.csrf() },
      });
      assert.equal(forgot.status, 200, forgot.body);
      await app.runtime.deferred.drain();
      await app.runtime.outbox.drain();
      const mail = await app.sink.waitFor(
        (m) =>
          m.envelopeTo.some((t) => /^reset\.me@example\.test$/i.test(t)) &&
          linksIn(m).some((l) => l.includes("/reset/")),
      );
      const path = new URL(linksIn(mail).find((l) => l.includes("/reset/"))!).pathname;
      const reset = await c.post(path, {
        json: { password: "reset to this passphrase", password_confirm: "reset to this passphrase" },
        headers: { "x-csrf-token": await c.csrf() },
      });
      assert.equal(reset.status, 200, reset.body);
      assert.equal((await app.client().login("reset.me@example.test", "reset to this passphrase")).status, 200);
    });

    it("20 parallel finishes of one state: exactly one account, one passkey; the others are told to start over", async () => {
      const c = app.client();
      const auth = new SoftAuthenticator({ origin: "https://app.test" });
      const start = await startSignup(c, { email: "Parallel@Example.test", username: "parallelone" });
      const response = auth.create(start.json.response.credential_options);
      const csrf = await csrfOf(c, "/wan-signup");
      const replies = await Promise.all(
        Array.from({ length: 20 }, () =>
          app.client().post(`/wan-signup/${start.json.response.wan_state}`, {
            json: { credential: response },
            headers: { "x-csrf-token": csrf, cookie: c.cookieHeader() },
          }),
        ),
      );
      const statuses = replies.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, ...Array(19).fill(400)], replies.map((r) => r.body).join("\n"));
      for (const r of replies.filter((r) => r.status === 400))
        assert.deepEqual(r.json.response.error_codes, ["WEBAUTHN_EXPIRED"]);
      const user = (await app.runtime.datastore.users.findByEmail("parallel@example.test"))!;
      assert.equal((await app.runtime.datastore.store(passkeyStore).listForUser(user.id)).length, 1);
    });

    it("signed in: GET /wan-signup is refused and POSTs are anonymous-only", async () => {
      const c = app.client();
      await signUp(c, new SoftAuthenticator({ origin: "https://app.test" }), {
        email: "already@example.test",
        username: "alreadyin",
      });
      assert.equal((await c.get("/wan-signup", { acceptJson: true })).status, 400);
      const again = await startSignup(app.client(), { email: "second@example.test", username: "secondone" });
      const post = await finishSignup(c, again.json.response.wan_state, {});
      assert.equal(post.status, 400);
      assert.equal(await app.runtime.datastore.users.findByEmail("second@example.test"), null);
    });

    it("two-factor required and a passkey without user verification: the next step comes with the codes; a before.register veto creates nothing", async () => {
      const strict = await signupApp(dialect, {
        confirmation: false,
        config: { twoFactor: { required: true } },
        hooks: {
          before: {
            register: async ({ input }) =>
              String(input.email ?? "").startsWith("vetoed") ? { message: "Not here.", status: 403 } : undefined,
          },
        },
      });
      try {
        const c = strict.client();
        const { finish } = await signUp(c, new SoftAuthenticator({ origin: "https://app.test", uv: false }), {
          email: "Needs.Second+f@Example.test",
        });
        assert.equal(finish.status, 200, finish.body);
        assert.equal(finish.json.response.tf_required, true, "a second factor to set up first");
        assert.equal(finish.json.response.recovery_codes.length, 5, "the codes are not lost at the next step");
        assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
        assert.ok(await strict.runtime.datastore.users.findByEmail("needs.second+f@example.test"));

        const vetoed = await startSignup(strict.client(), { email: "vetoed@example.test" });
        assert.equal(vetoed.status, 403, vetoed.body);
        assert.deepEqual(vetoed.json.response.errors, ["Not here."]);
        assert.equal(vetoed.json.response.wan_state, undefined, "no state to finish with");
        assert.equal(await strict.runtime.datastore.users.findByEmail("vetoed@example.test"), null);
      } finally {
        await strict.close();
      }
    });
  });
}
