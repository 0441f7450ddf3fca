import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { HookInput } from "../../core/events.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { defineStore, type StoreKit } from "../../datastore/kit.js";
import { createWanApp, finish, post, register, signedIn, start } from "./testing/register-kit.js";

/**
 * Adding passkeys over the JSON API, as an SPA does (FS's wire): the options a registration starts with, the
 * list GET /wan-register answers, the name rules (FS 5.9's sanitizing), and a passkey Flask-Security stored.
 */
const raw = defineStore("test-raw-webauthn", (kit: StoreKit) => kit);

for (const dialect of flowDialects()) {
  describe(`passkey registration (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect);
    });
    after(() => app.close());

    it("registers a first-factor and a second-factor passkey; GET lists them in FS's shape", async () => {
      const email = "Pass-Key.Owner+tag@Sub.Example.test";
      const c = await signedIn(app, email);
      const seen: string[] = [];
      const off = app.rampart.events.on("wan_registered", ({ name }) => void seen.push(name));
      const auth = new SoftAuthenticator({ origin: "https://app.test" });

      const first = await start(c, "Laptop key", "first");
      assert.equal(first.options.rp.id, "app.test");
      assert.equal(first.options.rp.name, "My Flask App");
      const user = (await app.rampart.api.findUser(email))!;
      assert.equal(first.options.user.name, user.email);
      // The user handle (FS fs_webauthn_user_handle, 32 hex) is set at the first registration: the options carry its bytes.
      const handle = (await app.runtime.datastore.users.findById(user.id))!.fsWebauthnUserHandle!;
      assert.match(handle, /^[0-9a-f]{32}$/);
      assert.equal(first.options.user.id, isoBase64URL.fromUTF8String(handle));
      assert.deepEqual(first.options.extensions, { credProps: true });
      assert.equal(first.options.attestation, "none");
      assert.equal(first.options.authenticatorSelection.userVerification, "preferred");
      assert.deepEqual(first.options.excludeCredentials, []);
      const done = await finish(c, first.state, auth.create(first.options));
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.name, "Laptop key");
      assert.equal(done.json.response.usage, "first");
      assert.equal(done.json.response.credential_id, auth.credentials[0]!.idB64);
      assert.ok(done.json.response.csrf_token);

      // Usage defaults to secondary (as FS); the first passkey is excluded so one authenticator is not added twice.
      const second = await start(c, "Phone");
      assert.equal(second.options.authenticatorSelection.userVerification, "discouraged");
      assert.deepEqual(
        second.options.excludeCredentials.map((e: { id: string }) => e.id),
        [auth.credentials[0]!.idB64],
      );
      const credential = new SoftAuthenticator({ origin: "https://app.test", backup: true }).create(second.options);
      // An object is taken as well as FS's JSON string.
      const done2 = await post(c, `/wan-register/${second.state}`, { credential });
      assert.equal(done2.status, 200, done2.body);
      assert.equal(done2.json.response.usage, "secondary");
      off();
      assert.deepEqual(seen, ["Laptop key", "Phone"]);

      const list = await c.get("/wan-register", { acceptJson: true });
      assert.equal(list.status, 200, list.body);
      assert.ok(list.json.response.csrf_token);
      assert.equal(list.json.response.user, undefined);
      const creds = list.json.response.registered_credentials;
      assert.equal(creds.length, 2);
      assert.deepEqual(Object.keys(creds[0]).sort(), [
        "backup_state",
        "created_at",
        "credential_id",
        "device_type",
        "discoverable",
        "lastuse",
        "name",
        "transports",
        "usage",
      ]);
      assert.equal(creds[0].name, "Laptop key");
      assert.equal(creds[0].usage, "first");
      assert.equal(creds[0].credential_id, auth.credentials[0]!.idB64);
      assert.deepEqual(creds[0].transports, ["internal", "hybrid"]);
      assert.equal(creds[0].backup_state, false);
      assert.equal(creds[0].device_type, "single_device");
      assert.equal(creds[0].discoverable, true);
      assert.ok(Math.abs(Date.parse(creds[0].lastuse) - Date.now()) < 60_000, creds[0].lastuse);
      assert.equal(creds[0].created_at, creds[0].lastuse);
      assert.equal(creds[1].name, "Phone");
      assert.equal(creds[1].usage, "secondary");
      assert.equal(creds[1].backup_state, true);
      assert.equal(creds[1].device_type, "multi_device");

      // The owner is told of each new way in (FS sends no such mail).
      const notice = await app.sink.waitFor(
        (m) =>
          m.envelopeTo.includes(user.email) &&
          m.subject === "A passkey was added to your account" &&
          /Laptop key/.test(m.text),
      );
      assert.match(notice.text, /It can sign in by itself\./);
      await app.sink.waitFor((m) => m.envelopeTo.includes(user.email) && /"Phone"/.test(m.text));

      const audit = await app.rampart.api.auditEvents({ event: "wan_registered" });
      assert.ok(audit.some((e) => e.userId === user.id && e.outcome === "success"));
    });

    it("two registrations started at once hand out the same user handle, the one stored", async () => {
      const email = "two.tabs@example.test";
      const c = await signedIn(app, email);
      const csrf = await c.csrf();
      const starts = await Promise.all(
        ["Tab one", "Tab two", "Tab three"].map((name) =>
          c.post("/wan-register", { json: { name }, headers: { "x-csrf-token": csrf } }),
        ),
      );
      const ids = starts.map((r) => r.json.response.credential_options.user.id);
      const user = (await app.rampart.api.findUser(email))!;
      const stored = (await app.runtime.datastore.users.findById(user.id))!.fsWebauthnUserHandle!;
      assert.deepEqual(ids, Array(3).fill(isoBase64URL.fromUTF8String(stored)));
    });

    it("names: trimmed and NFKD-normalized; markup, '?', emoji refused; 64 characters at most; unique per user", async () => {
      const c = await signedIn(app, "names.owner@sub.example.test");
      const auth = new SoftAuthenticator({ origin: "https://app.test" });
      const nameError = async (name: unknown) => {
        const r = await post(c, "/wan-register", { name, usage: "secondary" });
        assert.equal(r.status, 400, r.body);
        return { code: r.json.response.error_codes?.[0], message: r.json.response.field_errors.name[0] };
      };
      assert.deepEqual(await nameError(""), {
        code: "WEBAUTHN_NAME_REQUIRED",
        message: "Nickname for new passkey is required.",
      });
      assert.equal((await nameError("   ")).code, "WEBAUTHN_NAME_REQUIRED");
      for (const bad of ["hi <script>doing evil</script>", "<b>", "hi there?", "Key 🔑", "a&b", "tab\there"])
        assert.deepEqual(await nameError(bad), {
          code: "INVALID_INPUT",
          message: "Value entered is not valid for the field",
        });
      assert.deepEqual(await nameError("x".repeat(65)), {
        code: "INVALID_INPUT_LENGTH",
        message: "Value entered must be less than 64 characters",
      });
      // Long after normalization: "ﷺ" (one character) is 18 characters in NFKD.
      assert.equal((await nameError("ﷺ".repeat(4))).code, "INVALID_INPUT_LENGTH");

      // Letters of any script, digits, spaces, "-" and "_" are fine; 64 characters (astral ones too) fit.
      for (const good of ["  Café-Key_1 ", "Ключ", "𠀀".repeat(64), "x".repeat(64)]) {
        const r = await register(c, auth, good);
        assert.equal(r.status, 200, `${good}: ${r.body}`);
      }
      const names = (await c.get("/wan-register", { acceptJson: true })).json.response.registered_credentials.map(
        (p: { name: string }) => p.name,
      );
      assert.deepEqual(names, [
        "Café-Key_1".normalize("NFKD"),
        "Ключ".normalize("NFKD"),
        "𠀀".repeat(64),
        "x".repeat(64),
      ]);

      // "Imnumber" + ROMAN NUMERAL ONE is stored as "ImnumberI" (as FS's test_name_normalize), so both are one name.
      assert.equal((await register(c, auth, "Imnumber\u2160")).status, 200);
      const taken = await nameError("ImnumberI");
      assert.deepEqual(taken, {
        code: "WEBAUTHN_NAME_INUSE",
        message: "ImnumberI is already associated with a passkey.",
      });
      assert.equal((await nameError(" Café-Key_1")).code, "WEBAUTHN_NAME_INUSE");

      // Another user may use the same name.
      const other = await signedIn(app, "names.other@sub.example.test");
      assert.equal((await register(other, auth, "ImnumberI")).status, 200);

      // Usage is first or secondary; a name that is not a string is a bad request.
      const usage = await post(c, "/wan-register", { name: "Fine", usage: "third" });
      assert.equal(usage.status, 400);
      assert.equal(usage.json.response.field_errors.usage[0], "Value entered is not valid for the field");
      const notString = await post(c, "/wan-register", { name: 12 });
      assert.equal(notString.status, 400);
    });

    it("a passkey Flask-Security stored (bytes, comma-separated transports, naive datetimes) is listed", async () => {
      const c = await signedIn(app, "fs.made@example.test");
      const user = (await app.rampart.api.findUser("fs.made@example.test"))!;
      const kit = app.runtime.datastore.store(raw);
      const credentialId = new Uint8Array([0xfb, 0xff, 0x00, 0x10, 0x7e]);
      await kit.db
        .insertInto("webauthn" as never)
        .values({
          credential_id: Buffer.from(credentialId),
          public_key: Buffer.from([1, 2, 3]),
          sign_count: 7,
          transports: "usb,nfc",
          backup_state: kit.codec.bool(false),
          device_type: "single_device",
          extensions: '{"credProps": {"rk": false}}',
          create_datetime: "2024-03-01 10:11:12",
          lastuse_datetime: "2024-05-06 07:08:09.123456",
          name: "FS key",
          usage: "secondary",
          user_id: user.id,
        } as never)
        .execute();
      const list = await c.get("/wan-register", { acceptJson: true });
      assert.equal(list.status, 200, list.body);
      assert.deepEqual(list.json.response.registered_credentials, [
        {
          name: "FS key",
          credential_id: "-_8AEH4",
          transports: ["usb", "nfc"],
          // MariaDB's DATETIME (as FS's SQLAlchemy creates it there too) keeps no fraction of a second.
          lastuse: dialect === "mysql" ? "2024-05-06T07:08:09.000Z" : "2024-05-06T07:08:09.123Z",
          usage: "secondary",
          backup_state: false,
          device_type: "single_device",
          discoverable: false,
          created_at: "2024-03-01T10:11:12.000Z",
        },
      ]);
      // Its name is taken for this user.
      const again = await post(c, "/wan-register", { name: "FS key" });
      assert.equal(again.status, 400);
      assert.equal(again.json.response.error_codes[0], "WEBAUTHN_NAME_INUSE");
    });
  });

  describe(`passkey registration runs the wan_register hooks (${dialect})`, () => {
    let app: TestApp;
    const afters: string[] = [];
    before(async () => {
      app = await createTestApp({
        dialect,
        config: { webauthn: { enabled: true } },
        hooks: {
          before: {
            wan_register: (h: HookInput) =>
              h.user?.email.startsWith("held") ? { message: "Not today.", code: "HELD", status: 403 } : undefined,
          },
          after: { wan_register: (h: HookInput) => void afters.push(h.user?.email ?? "?") },
        },
      });
    });
    after(() => app.close());

    it("a before veto refuses the start (its status and message); the after hook runs once a passkey is stored", async () => {
      const held = await signedIn(app, "held.user@example.test");
      const r = await post(held, "/wan-register", { name: "Held key" });
      assert.equal(r.status, 403, r.body);
      assert.deepEqual(r.json.response.errors, ["Not today."]);
      assert.equal(r.json.response.wan_state, undefined);
      const c = await signedIn(app, "free.user@example.test");
      assert.equal((await register(c, new SoftAuthenticator({ origin: "https://app.test" }), "Free key")).status, 200);
      assert.deepEqual(afters, ["free.user@example.test"]);
    });
  });

  describe(`passkey registration without WAN_ALLOW_AS_FIRST_FACTOR (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect, { allowAsFirstFactor: false });
    });
    after(() => app.close());

    it("every passkey is a second factor: usage first is stored as secondary, and the page offers no choice", async () => {
      const c = await signedIn(app, "second.only@example.test");
      const s = await start(c, "Only second", "first");
      assert.equal(s.options.authenticatorSelection.userVerification, "discouraged");
      const done = await finish(c, s.state, new SoftAuthenticator({ origin: "https://app.test" }).create(s.options));
      assert.equal(done.status, 200, done.body);
      assert.equal(done.json.response.usage, "secondary");
      const list = await c.get("/wan-register", { acceptJson: true });
      assert.equal(list.json.response.registered_credentials[0].usage, "secondary");
      const page = await c.get("/wan-register");
      assert.equal(page.status, 200, page.body);
      assert.match(page.body, /id="wan-register-form"/);
      assert.doesNotMatch(page.body, /name="usage"/);
    });
  });
}
