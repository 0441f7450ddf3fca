import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { openDatabase } from "../../src/datastore/open.js";
import { LEGACY, fsqlaV3Schema, fsqlaV3Seed } from "../../src/datastore/kysely/testing/fsqla-v3.js";
import { passkeySignin, signedIn } from "../../src/features/passkeys/testing/signin-kit.js";

/**
 * A Flask-Security database with a passkey Flask-Security registered: the `webauthn` table made as SQLAlchemy
 * makes fsqla_v3's WebAuthn model, a row as Flask-Security writes it (credential id and COSE public key as
 * bytes, transports "usb,nfc", naive datetimes, the user's fs_webauthn_user_handle a uuid4 hex). Rampart's
 * migration leaves the table alone, the passkey is listed, and it signs in (its user handle, the UTF-8 bytes of
 * the hex, matches the account).
 */
type Dialect = "sqlite" | "postgres" | "mysql";

function webauthnDdl(dialect: Dialect): string {
  // LargeBinary: BLOB / BYTEA (on MySQL a BLOB cannot carry the unique index, so VARBINARY as FS users declare it).
  const bytes = dialect === "postgres" ? "BYTEA" : dialect === "mysql" ? "VARBINARY(1024)" : "BLOB";
  const key = dialect === "postgres" ? "BYTEA" : "BLOB";
  const id =
    dialect === "postgres"
      ? "SERIAL NOT NULL"
      : dialect === "mysql"
        ? "INTEGER NOT NULL AUTO_INCREMENT"
        : "INTEGER NOT NULL";
  const dt = dialect === "postgres" ? "TIMESTAMP WITHOUT TIME ZONE" : "DATETIME";
  const now = dialect === "sqlite" ? "(CURRENT_TIMESTAMP)" : "now()";
  const q = dialect === "mysql" ? "`" : '"';
  return `CREATE TABLE webauthn (
    id ${id},
    credential_id ${bytes} NOT NULL,
    public_key ${key} NOT NULL,
    sign_count INTEGER,
    transports TEXT,
    backup_state BOOLEAN NOT NULL,
    device_type VARCHAR(64) NOT NULL,
    extensions VARCHAR(255),
    create_datetime ${dt} DEFAULT ${now} NOT NULL,
    lastuse_datetime ${dt} NOT NULL,
    name VARCHAR(64) NOT NULL,
    ${q}usage${q} VARCHAR(64) NOT NULL,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(user_id) REFERENCES ${q}user${q} (id) ON DELETE CASCADE
  )`;
}

const hexLiteral = (dialect: Dialect, bytes: Uint8Array) =>
  dialect === "postgres"
    ? `decode('${Buffer.from(bytes).toString("hex")}', 'hex')`
    : `X'${Buffer.from(bytes).toString("hex")}'`;

for (const dialect of flowDialects()) {
  describe(`a passkey Flask-Security registered (${dialect})`, () => {
    let app: TestApp;
    const handle = randomUUID().replace(/-/g, "");
    const auth = new SoftAuthenticator({ origin: "https://app.test" });
    // The key Flask-Security stored: made by the authenticator for FS's user handle (UTF-8 of the hex).
    auth.create({
      rp: { id: "app.test", name: "FS app" },
      user: { id: Buffer.from(handle, "utf8").toString("base64url"), name: LEGACY.email, displayName: LEGACY.email },
      challenge: Buffer.from("fs-registration").toString("base64url"),
      pubKeyCredParams: [{ type: "public-key", alg: -7 }],
    });
    const cred = auth.credentials[0]!;
    // The second FS user's passkey, with the model's nullable columns empty (sign_count, transports, extensions).
    const handle2 = randomUUID().replace(/-/g, "");
    const auth2 = new SoftAuthenticator({ origin: "https://app.test", uv: false });
    auth2.create({
      rp: { id: "app.test", name: "FS app" },
      user: { id: Buffer.from(handle2, "utf8").toString("base64url"), name: "second", displayName: "second" },
      challenge: Buffer.from("fs-registration").toString("base64url"),
      pubKeyCredParams: [{ type: "public-key", alg: -7 }],
    });
    const cred2 = auth2.credentials[0]!;

    before(async () => {
      app = await createTestApp({
        dialect,
        config: { webauthn: { enabled: true }, lockout: { threshold: 100 } } as never,
        prepareDatabase: async (url) => {
          const { db } = await openDatabase(url);
          const q = dialect === "mysql" ? "`" : '"';
          const t = dialect === "postgres" ? "false" : "0";
          try {
            for (const s of [...fsqlaV3Schema(dialect), ...fsqlaV3Seed(dialect), webauthnDdl(dialect)]) {
              await sql.raw(s).execute(db);
            }
            await sql.raw(`CREATE UNIQUE INDEX ix_webauthn_credential_id ON webauthn (credential_id)`).execute(db);
            await sql.raw(`UPDATE ${q}user${q} SET fs_webauthn_user_handle = '${handle}' WHERE id = 1`).execute(db);
            await sql
              .raw(
                `INSERT INTO webauthn (credential_id, public_key, sign_count, transports, backup_state, device_type,
                   extensions, create_datetime, lastuse_datetime, name, ${q}usage${q}, user_id)
                 VALUES (${hexLiteral(dialect, cred.id)}, ${hexLiteral(dialect, cred.publicKeyCose)}, 0, 'usb,nfc', ${t},
                   'single_device', '{"credProps": {"rk": true}}', '2024-03-04 05:06:07.123456', '2024-03-04 05:06:07.123456',
                   'FS key', 'first', 1)`,
              )
              .execute(db);
            await sql.raw(`UPDATE ${q}user${q} SET fs_webauthn_user_handle = '${handle2}' WHERE id = 2`).execute(db);
            await sql
              .raw(
                `INSERT INTO webauthn (credential_id, public_key, sign_count, transports, backup_state, device_type,
                   extensions, create_datetime, lastuse_datetime, name, ${q}usage${q}, user_id)
                 VALUES (${hexLiteral(dialect, cred2.id)}, ${hexLiteral(dialect, cred2.publicKeyCose)}, NULL, NULL, ${t},
                   'single_device', NULL, '2024-03-04 05:06:07', '2024-03-04 05:06:07', 'Old key', 'first', 2)`,
              )
              .execute(db);
          } finally {
            await db.destroy();
          }
        },
      });
    });
    after(() => app?.close());

    it("the migration keeps FS's table and row; the passkey signs in (hinted and discoverable) and is listed", async () => {
      const c = app.client();
      const hinted = await passkeySignin(c, auth, { identity: LEGACY.email.toLowerCase() });
      assert.equal(hinted.status, 200, hinted.body);
      assert.equal(hinted.json.response.user.email, LEGACY.email);
      assert.ok(await signedIn(c));

      const list = await c.get("/wan-register", { acceptJson: true });
      assert.equal(list.status, 200, list.body);
      const creds = list.json.response.registered_credentials;
      assert.equal(creds.length, 1, list.body);
      assert.equal(creds[0].name, "FS key");
      assert.equal(creds[0].usage, "first");
      assert.deepEqual(creds[0].transports, ["usb", "nfc"]);
      assert.equal(creds[0].device_type, "single_device");

      const other = app.client();
      const discoverable = await passkeySignin(other, auth);
      assert.equal(discoverable.status, 200, discoverable.body);
      assert.equal(discoverable.json.response.user.email, LEGACY.email);
    });

    it("a row with FS's nullable columns empty (sign_count, transports, extensions) signs in and is listed", async () => {
      const c = app.client();
      const r = await passkeySignin(c, auth2, { identity: "second@example.com" });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.user.email, "second@example.com");
      const list = await c.get("/wan-register", { acceptJson: true });
      assert.equal(list.status, 200, list.body);
      assert.equal(list.json.response.registered_credentials[0].name, "Old key");
      const again = await passkeySignin(app.client(), auth2);
      assert.equal(again.status, 200, again.body);
    });
  });
}
