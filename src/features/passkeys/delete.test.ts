import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { registerDirect } from "./testing/register-direct.js";
import { passkeyStore } from "./store.js";

/**
 * /wan-delete: a fresh caller deletes one of their own passkeys by name (JSON and form), the owner is mailed a
 * notice, and the deleted passkey no longer re-authenticates. Another user's name is "not found"; a stale
 * session must re-authenticate first; a password-less account keeps its last first-factor passkey.
 */
const PASSWORD = "correct horse battery";
const WITHIN = 600;
const origin = "https://app.test";

for (const dialect of flowDialects()) {
  describe(`passkey deletion /wan-delete (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          webauthn: { enabled: true },
          freshness: { withinSeconds: WITHIN, gracePeriodSeconds: 0 },
          lockout: { threshold: 100 },
        },
      });
    });
    after(() => app.close());

    async function owner(keys: { name: string; usage: "first" | "secondary" }[]) {
      const email = `Pass-Key.Owner+del${++n}.${dialect}@Sub.Example.test`;
      const user = await app.rampart.api.createUser({ email, password: PASSWORD });
      const auth = new SoftAuthenticator({ origin });
      for (const key of keys) await registerDirect(app.runtime, email, auth, key);
      const c = app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);
      return { email, user, auth, c };
    }
    const names = async (userId: number) =>
      (await app.runtime.datastore.store(passkeyStore).listForUser(userId)).map((k) => k.name);
    async function del(c: TestClient, body: Record<string, unknown>) {
      const form = await c.get("/wan-delete", { acceptJson: true });
      return c.post("/wan-delete", { json: body, headers: { "x-csrf-token": form.json.response.csrf_token } });
    }

    it("deletes the named passkey, mails the owner, and the passkey no longer re-authenticates", async () => {
      const { email, user, auth, c } = await owner([
        { name: "Laptop", usage: "first" },
        { name: "Phone", usage: "first" },
      ]);
      app.sink.clear();
      const events: string[] = [];
      const off = app.rampart.events.on("wan_deleted", (e) => void events.push(`${e.user.email} ${e.name}`));
      // The name as typed in another Unicode form (full-width letters) is the same name after NFKD.
      const r = await del(c, { name: "  Ｌａｐｔｏｐ " });
      assert.equal(r.status, 200, r.body);
      assert.ok(r.json.response.csrf_token);
      assert.deepEqual(await names(user.id), ["Phone"]);
      off();
      assert.deepEqual(events, [`${user.email} Laptop`]);
      const mail = await app.sink.waitFor((m) => m.to.toLowerCase().includes(email.toLowerCase()));
      assert.equal(mail.subject, "A passkey was removed from your account");
      assert.match(mail.text, /"Laptop" was removed/);
      const audits = await app.runtime.datastore.audit.list({ userId: user.id, event: "wan_deleted" });
      assert.equal(audits.length, 1);

      // The deleted credential at /wan-verify: unknown.
      const start = await c.post("/wan-verify", {
        json: {},
        headers: { "x-csrf-token": r.json.response.csrf_token },
      });
      const options = start.json.response.credential_options;
      const assertion = auth.get({ ...options, allowCredentials: [] }, { credentialId: auth.credentials[0]!.idB64 });
      const refused = await c.post(`/wan-verify/${start.json.response.wan_state}`, {
        json: { credential: JSON.stringify(assertion) },
        headers: { "x-csrf-token": start.json.response.csrf_token },
      });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.json.response.error_codes, ["WEBAUTHN_UNKNOWN_CREDENTIAL_ID"]);
    });

    it("as a browser form: back to /wan-register with the message; errors come back there too", async () => {
      const { user, c } = await owner([{ name: "Desk key", usage: "secondary" }]);
      const page = await c.get("/wan-delete");
      assert.equal(page.status, 302);
      assert.equal(page.location, "/wan-register");
      const csrf = await c.csrf();
      const missing = await c.post("/wan-delete", { form: { csrf_token: csrf, name: "Nope" } });
      assert.equal(missing.status, 302);
      assert.equal(missing.location, "/wan-register");
      assert.deepEqual(await names(user.id), ["Desk key"]);
      const done = await c.post("/wan-delete", { form: { csrf_token: csrf, name: "Desk key" } });
      assert.equal(done.status, 302);
      assert.equal(done.location, "/wan-register");
      assert.deepEqual(await names(user.id), []);
      // The flash travels to the next page that shows flashes (/wan-verify's here).
      const shown = await c.get("/wan-verify");
      assert.match(shown.body, /Successfully deleted the passkey with name: Desk key/);
    });

    it("name required, unknown name, another user's name, an invalid name: 400, nothing deleted", async () => {
      const alice = await owner([{ name: "Alice key", usage: "first" }]);
      const bob = await owner([{ name: "Bob key", usage: "first" }]);
      const cases: [Record<string, unknown>, string][] = [
        [{}, "WEBAUTHN_NAME_REQUIRED"],
        [{ name: "   " }, "WEBAUTHN_NAME_REQUIRED"],
        [{ name: "Nobody's" }, "INVALID_INPUT"],
        [{ name: "<b>x</b>" }, "INVALID_INPUT"],
        [{ name: "x".repeat(65) }, "INVALID_INPUT_LENGTH"],
        [{ name: "Missing key" }, "WEBAUTHN_NAME_NOT_FOUND"],
        [{ name: "Bob key" }, "WEBAUTHN_NAME_NOT_FOUND"],
      ];
      for (const [body, code] of cases) {
        const r = await del(alice.c, body);
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.body}`);
        assert.deepEqual(r.json.response.error_codes, [code], JSON.stringify(body));
        assert.ok(r.json.response.field_errors.name, "the name field is to blame");
      }
      const wrongType = await del(alice.c, { name: ["Alice key"] });
      assert.equal(wrongType.status, 400);
      assert.deepEqual(await names(alice.user.id), ["Alice key"]);
      assert.deepEqual(await names(bob.user.id), ["Bob key"]);
    });

    it("a stale session must re-authenticate first (401 reauth_required; browsers to the verify page)", async () => {
      const { user, c } = await owner([{ name: "Old key", usage: "first" }]);
      const csrf = (await c.get("/wan-delete", { acceptJson: true })).json.response.csrf_token;
      app.advance(WITHIN + 1);
      try {
        const r = await c.post("/wan-delete", { json: { name: "Old key" }, headers: { "x-csrf-token": csrf } });
        assert.equal(r.status, 401);
        assert.equal(r.json.response.reauth_required, true);
        assert.equal(r.json.response.has_webauthn_verify_credential, true);
        const html = await c.post("/wan-delete", { form: { csrf_token: csrf, name: "Old key" } });
        assert.equal(html.status, 302);
        assert.match(html.location ?? "", /^\/verify\?next=/);
        assert.deepEqual(await names(user.id), ["Old key"]);
      } finally {
        app.advance(-(WITHIN + 1));
      }
    });

    it("a password-less account keeps its last first-factor passkey", async () => {
      const { user, c } = await owner([
        { name: "Only way in", usage: "first" },
        { name: "Second way in", usage: "first" },
        { name: "Security key", usage: "secondary" },
      ]);
      await app.rampart.datastore.users.update(user.id, { password: null } as never);
      const first = await del(c, { name: "Second way in" });
      assert.equal(first.status, 200, first.body);
      const secondary = await del(c, { name: "Security key" });
      assert.equal(secondary.status, 200, "a second-factor passkey is no way in");
      const last = await del(c, { name: "Only way in" });
      assert.equal(last.status, 400);
      assert.deepEqual(last.json.response.error_codes, ["WEBAUTHN_LAST_WAY_IN"]);
      assert.deepEqual(await names(user.id), ["Only way in"]);
    });

    it("two last first-factor passkeys deleted at once: the account keeps at least one", async () => {
      const { user, c } = await owner([
        { name: "Key A", usage: "first" },
        { name: "Key B", usage: "first" },
      ]);
      await app.rampart.datastore.users.update(user.id, { password: null } as never);
      const csrf = (await c.get("/wan-delete", { acceptJson: true })).json.response.csrf_token;
      const answers = await Promise.all(
        ["Key A", "Key B"].map((name) => c.post("/wan-delete", { json: { name }, headers: { "x-csrf-token": csrf } })),
      );
      const left = await names(user.id);
      assert.ok(left.length >= 1, `left: ${JSON.stringify(left)}`);
      assert.equal(answers.filter((a) => a.status === 200).length, 2 - left.length, "each answer tells the truth");
    });

    it("reset access (api.resetAccess) removes the user's passkeys, not another user's", async () => {
      const alice = await owner([{ name: "Reset me", usage: "first" }]);
      const bob = await owner([{ name: "Keep me", usage: "first" }]);
      await app.rampart.api.resetAccess(alice.user);
      assert.deepEqual(await names(alice.user.id), []);
      assert.deepEqual(await names(bob.user.id), ["Keep me"]);
    });
  });
}
