/**
 * `rampart users reset-access` deletes the user's passkeys (as FS reset_user_access): a stolen device's
 * credential must not outlive the reset. The real binary against a temp SQLite file; the passkey is registered
 * through the ceremony with a software authenticator.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { createRampart } from "../../src/create-rampart.js";
import { runtimeOf } from "../../src/internal.js";
import { passkeyStore } from "../../src/features/passkeys/store.js";
import { registerDirect } from "../../src/features/passkeys/testing/register-direct.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { cliOk, tempDir, TEST_SECRET_KEY } from "./helpers.js";

describe("rampart users reset-access and passkeys (SQLite file)", () => {
  let env: Record<string, string>;
  let dbUrl: string;
  let cleanup: () => Promise<void>;
  const open = () =>
    createRampart({
      config: { secretKey: TEST_SECRET_KEY, baseUrl: "https://app.test", webauthn: { enabled: true } },
      database: dbUrl,
      logger: { info() {}, warn() {}, error() {} },
    });

  before(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    dbUrl = `sqlite://${join(tmp.dir, "cli.db")}`;
    env = {
      DATABASE_URL: dbUrl,
      SECRET_KEY: TEST_SECRET_KEY,
      SECURITY_WEBAUTHN: "true",
      RAMPART_BASE_URL: "https://app.test",
    };
    await cliOk(["migrate"], env);
  });
  after(async () => {
    await cleanup();
  });

  it("removes every passkey of the user, and only theirs", async () => {
    const emails = ["Pass-Key.Owner+cli@Sub.Example.test", "other.owner@example.test"];
    for (const email of emails) await cliOk(["users", "create", email, "--password", "a long password 1"], env);
    let rampart = await open();
    try {
      const rt = runtimeOf(rampart);
      const auth = new SoftAuthenticator({ origin: "https://app.test" });
      await registerDirect(rt, emails[0]!, auth, { name: "Phone", usage: "first" });
      await registerDirect(rt, emails[0]!, auth, { name: "Key", usage: "secondary" });
      await registerDirect(rt, emails[1]!, auth, { name: "Theirs", usage: "first" });
    } finally {
      await rampart.close();
    }
    assert.match(await cliOk(["users", "reset-access", emails[0]!], env), /has been reset/);
    rampart = await open();
    try {
      const rt = runtimeOf(rampart);
      const store = rt.datastore.store(passkeyStore);
      const [mine, theirs] = await Promise.all(emails.map((e) => rampart.api.findUser(e)));
      assert.deepEqual(await store.listForUser(mine!.id), []);
      assert.deepEqual(
        (await store.listForUser(theirs!.id)).map((k) => k.name),
        ["Theirs"],
      );
    } finally {
      await rampart.close();
    }
  });
});
