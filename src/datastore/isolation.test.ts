/** test/helpers/databases.ts: isolated databases really are separate, and cleanup really drops them. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { it } from "node:test";
import { sql } from "kysely";
import { createIsolatedDatastore, testDatabaseUrls, type TestDialect } from "../../test/helpers/databases.js";
import { openDatabase } from "./open.js";

/** Whether the schema (postgres) or database (mysql) named in `url` still exists, asked through `baseUrl`. */
async function serverObjectExists(dialect: "postgres" | "mysql", baseUrl: string, url: string): Promise<boolean> {
  const name =
    dialect === "postgres" ? (new URL(url).searchParams.get("schema") ?? "") : new URL(url).pathname.slice(1);
  const { db } = await openDatabase(baseUrl);
  try {
    const query =
      dialect === "postgres"
        ? sql<{ n: string }>`select nspname as n from pg_namespace where nspname = ${name}`
        : sql<{ n: string }>`select schema_name as n from information_schema.schemata where schema_name = ${name}`;
    return (await query.execute(db)).rows.length > 0;
  } finally {
    await db.destroy();
  }
}

for (const { name, url: baseUrl } of testDatabaseUrls()) {
  const dialect: TestDialect = name;
  it(`isolated ${dialect} datastores are separate, migrated, and dropped by cleanup`, async () => {
    const a = await createIsolatedDatastore(dialect);
    const b = await createIsolatedDatastore(dialect);
    try {
      assert.notEqual(a.url, b.url);
      assert.deepEqual(await a.datastore.migrations.pending(), []);
      await a.datastore.users.create({ email: "same@example.com" });
      await b.datastore.users.create({ email: "same@example.com" });
      assert.equal(await a.datastore.users.count(), 1);
      assert.equal(await b.datastore.users.count(), 1);
    } finally {
      await a.cleanup();
      await b.cleanup();
      await a.cleanup(); // twice is harmless
    }
    if (dialect === "sqlite") {
      const file = a.url.replace(/^sqlite:\/\//, "");
      assert.equal(existsSync(file), false, `${file} removed`);
    } else {
      assert.equal(await serverObjectExists(dialect, baseUrl, a.url), false, `${a.url} dropped`);
    }
  });
}
