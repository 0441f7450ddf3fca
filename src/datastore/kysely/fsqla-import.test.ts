/**
 * Serving an existing Flask-Security database: fsqla_v3 tables created with raw SQL as SQLAlchemy would,
 * rows written as Flask-Security writes them, then migrateToLatest and the Rampart stores on top.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { isolatedDatabaseUrl, type TestDialect } from "../../../test/helpers/databases.js";
import { DuplicateError, type Datastore } from "../contracts.js";
import { openDatabase, openDatastore } from "../open.js";
import { LEGACY, fsqlaV3Schema, fsqlaV3Seed } from "./testing/fsqla-v3.js";
import { rampartMigrations } from "./migrations/index.js";

const ALL_MIGRATIONS = Object.keys(rampartMigrations("sqlite"));

async function createFsDatabase(url: string, dialect: TestDialect, extraEmail?: string): Promise<void> {
  const { db } = await openDatabase(url);
  try {
    for (const statement of [...fsqlaV3Schema(dialect), ...fsqlaV3Seed(dialect, extraEmail)]) {
      await sql.raw(statement).execute(db);
    }
  } finally {
    await db.destroy();
  }
}

function dialects(): TestDialect[] {
  const out: TestDialect[] = ["sqlite"];
  for (const [dialect, env] of [
    ["postgres", "RAMPART_TEST_POSTGRES_URL"],
    ["mysql", "RAMPART_TEST_MYSQL_URL"],
  ] as const) {
    if (process.env[env]) out.push(dialect);
    else if (process.env.CI)
      it(`${dialect} Flask-Security import runs under CI`, () => assert.fail(`${env} is not set`));
    else it(`${dialect} Flask-Security import`, { skip: `${env} not set` }, () => undefined);
  }
  return out;
}

for (const dialect of dialects()) {
  describe(`Flask-Security fsqla_v3 database on ${dialect}`, () => {
    let ds: Datastore | undefined;
    let cleanup: (() => Promise<void>) | undefined;
    const store = (): Datastore => {
      if (!ds) throw new Error("datastore not opened");
      return ds;
    };

    before(async () => {
      const isolated = await isolatedDatabaseUrl(dialect);
      cleanup = isolated.cleanup;
      await createFsDatabase(isolated.url, dialect);
      ds = await openDatastore(isolated.url);
    });
    after(async () => {
      await ds?.close();
      await cleanup?.();
    });

    it("migrates: the initial migration is pending, then applied once", async () => {
      assert.deepEqual(await store().migrations.pending(), ALL_MIGRATIONS);
      assert.deepEqual(await store().migrations.migrateToLatest(), ALL_MIGRATIONS);
      assert.deepEqual(await store().migrations.pending(), []);
      assert.deepEqual(await store().migrations.migrateToLatest(), []);
    });

    it("finds the Flask-Security user case-insensitively with its data intact", async () => {
      const user = await store().users.findByEmail(LEGACY.email.toUpperCase());
      assert.ok(user, "legacy user found by upper-cased email");
      assert.equal(user.email, LEGACY.email);
      assert.equal(user.username, LEGACY.username);
      assert.equal(user.password, LEGACY.password);
      assert.equal(user.active, true);
      assert.equal(user.fsUniquifier, LEGACY.fsUniquifier);
      assert.equal(user.fsTokenUniquifier, null);
      assert.ok(
        Math.abs(user.createDatetime.getTime() - LEGACY.createDatetime.getTime()) < 1000,
        "create_datetime as UTC",
      );
      assert.equal(user.confirmedAt?.toISOString(), LEGACY.confirmedAt.toISOString());
      assert.equal((await store().users.findByUsername(LEGACY.username.toLowerCase()))?.id, user.id);
      assert.equal((await store().users.findByUniquifier(LEGACY.fsUniquifier))?.id, user.id);
      assert.equal((await store().users.findByEmail("SECOND@example.com"))?.username, null);
    });

    it("reads roles, permissions and grants written by Flask-Security", async () => {
      const user = await store().users.findByEmail(LEGACY.email);
      assert.ok(user, "legacy user");
      const role = await store().roles.findByName(LEGACY.roleName);
      assert.deepEqual(role?.permissions, LEGACY.permissions);
      assert.deepEqual(
        (await store().roles.rolesOfUser(user.id)).map((r) => r.name),
        [LEGACY.roleName],
      );
      assert.equal(await store().roles.addRoleToUser(user.id, role?.id ?? 0), false, "grant already present");
    });

    it("enforces case-insensitive uniqueness and supports new features on the old tables", async () => {
      await assert.rejects(
        store().users.create({ email: LEGACY.email.toLowerCase() }),
        (err: unknown) => err instanceof DuplicateError && err.field === "email",
      );
      const fresh = await store().users.create({ email: "fresh@example.com", username: "Fresh" });
      const token = await store().users.rotateTokenUniquifier(fresh.id);
      assert.equal((await store().users.findByTokenUniquifier(token))?.id, fresh.id);
      const legacy = await store().users.findByEmail(LEGACY.email);
      assert.ok(legacy, "legacy user");
      assert.equal(await store().users.delete(legacy.id), true, "delete works without ON DELETE CASCADE");
      assert.equal(await store().users.findByEmail(LEGACY.email), null);
    });
  });

  it(`refuses to migrate a ${dialect} Flask-Security database with case-duplicate emails, and retries cleanly`, async () => {
    const isolated = await isolatedDatabaseUrl(dialect);
    try {
      await createFsDatabase(isolated.url, dialect, LEGACY.email.toUpperCase());
      const again = await openDatastore(isolated.url);
      try {
        await assert.rejects(again.migrations.migrateToLatest(), /differ only by letter case/);
        assert.deepEqual(await again.migrations.pending(), ALL_MIGRATIONS);
        const { db } = await openDatabase(isolated.url);
        await db.deleteFrom("user").where("email", "=", LEGACY.email.toUpperCase()).execute();
        await db.destroy();
        assert.deepEqual(await again.migrations.migrateToLatest(), ALL_MIGRATIONS);
        assert.ok(await again.users.findByEmail(LEGACY.email.toLowerCase()), "legacy user found after the retry");
      } finally {
        await again.close();
      }
    } finally {
      await isolated.cleanup();
    }
  });
}
