/**
 * What an operator sees when the database is not ready: a refused unmigrated SQLite file is not left behind as
 * an empty file, and a connection failure names the database (kind, host:port, name) but never the password.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createRampart } from "../../src/create-rampart.js";
import { runCli, tempDir, TEST_SECRET_KEY } from "./helpers.js";

describe("database errors (real CLI and createRampart)", { timeout: 120_000 }, () => {
  it("refusing an unmigrated SQLite database leaves no empty file behind", async () => {
    const tmp = await tempDir();
    try {
      const file = join(tmp.dir, "fresh-app.db");
      const r = await runCli(["users", "list"], { DATABASE_URL: `sqlite://${file}`, SECRET_KEY: TEST_SECRET_KEY });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /rampart migrate/);
      assert.equal(existsSync(file), false, "no empty database file is left");
      const served = await runCli(["serve", "--port", "0"], {
        DATABASE_URL: `sqlite://${file}`,
        SECRET_KEY: TEST_SECRET_KEY,
      });
      assert.equal(served.code, 2, served.stderr);
      assert.equal(existsSync(file), false, "nor by serve");
      await assert.rejects(
        createRampart({
          config: { secretKey: TEST_SECRET_KEY },
          database: `sqlite://${file}`,
          logger: { info() {}, warn() {}, error() {} },
        }),
        /migration/i,
      );
      assert.equal(existsSync(file), false, "nor by createRampart");
    } finally {
      await tmp.cleanup();
    }
  });

  for (const [kind, url, label] of [
    [
      "PostgreSQL",
      "postgres://app_user:s3cr3t-pw@127.0.0.1:1/orders_db",
      'PostgreSQL database "orders_db" on 127.0.0.1:1',
    ],
    ["MySQL", "mysql://app_user:s3cr3t-pw@127.0.0.1:1/orders_db", 'MySQL/MariaDB database "orders_db" on 127.0.0.1:1'],
  ] as const) {
    it(`a ${kind} connection error names the database, never the password`, async () => {
      const r = await runCli(["users", "list"], { DATABASE_URL: url, SECRET_KEY: TEST_SECRET_KEY });
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.includes(label), r.stderr);
      assert.ok(!r.stderr.includes("s3cr3t-pw"), r.stderr);
      await assert.rejects(
        createRampart({ config: { secretKey: TEST_SECRET_KEY }, database: url }),
        (e: Error) => e.message.includes(label) && !e.message.includes("s3cr3t-pw"),
      );
    });
  }
});
