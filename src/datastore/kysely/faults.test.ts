/**
 * The classifier keeps genuine bugs out of the 503 class: on every real database an SQL error stays the driver's
 * error (a 500 over HTTP) and a unique violation stays a DuplicateError, while a statement cut by the statement
 * timeout is DependencyUnavailableError.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sql } from "kysely";
import { DependencyUnavailableError, DuplicateError } from "../../core/errors.js";
import { isolatedDatabaseUrl, testDatabaseUrls } from "../../../test/helpers/databases.js";
import { openDatabase, openDatastore } from "../open.js";

for (const { name } of testDatabaseUrls()) {
  describe(`driver errors are classified once (${name})`, () => {
    it("an SQL error is not a dependency failure; a duplicate stays DuplicateError", async () => {
      const isolated = await isolatedDatabaseUrl(name);
      const store = await openDatastore(isolated.url, { migrate: true });
      const { db } = await openDatabase(isolated.url);
      try {
        const syntax = await sql`selec 1`.execute(db).catch((e: unknown) => e);
        assert.ok(syntax instanceof Error);
        assert.ok(!(syntax instanceof DependencyUnavailableError), String(syntax));
        await store.users.create({ email: "Dup.User+1@Example.test" });
        const dup = await store.users.create({ email: "dup.user+1@example.test" }).catch((e: unknown) => e);
        assert.ok(dup instanceof DuplicateError, String(dup));
      } finally {
        await db.destroy();
        await store.close();
        await isolated.cleanup();
      }
    });

    it(
      "a statement past the statement timeout is DependencyUnavailableError",
      { skip: name === "sqlite" },
      async () => {
        const isolated = await isolatedDatabaseUrl(name);
        const { db } = await openDatabase(isolated.url, { statementTimeoutMs: 200 });
        try {
          const slow = name === "postgres" ? sql`select pg_sleep(2)` : sql`select sleep(2)`;
          const started = Date.now();
          const error = await slow.execute(db).catch((e: unknown) => e);
          assert.ok(error instanceof DependencyUnavailableError, String(error));
          assert.ok(Date.now() - started < 1500, "bounded by the timeout");
          assert.equal(
            (await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]?.one,
            1,
            "the pool still serves",
          );
        } finally {
          await db.destroy();
          await isolated.cleanup();
        }
      },
    );
  });
}
