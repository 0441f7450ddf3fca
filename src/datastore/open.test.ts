import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openDatastore, parseDatabaseUrl } from "./open.js";
import { rampartMigrations } from "./kysely/migrations/index.js";

const ALL_MIGRATIONS = Object.keys(rampartMigrations("sqlite"));

describe("parseDatabaseUrl", () => {
  const cases: [string, ReturnType<typeof parseDatabaseUrl>][] = [
    ["sqlite:///abs/path.db", { dialect: "sqlite", path: "/abs/path.db" }],
    ["sqlite:////abs/path.db", { dialect: "sqlite", path: "/abs/path.db" }],
    ["sqlite://relative.db", { dialect: "sqlite", path: "relative.db" }],
    ["sqlite:relative.db", { dialect: "sqlite", path: "relative.db" }],
    ["sqlite::memory:", { dialect: "sqlite", path: ":memory:" }],
    ["sqlite://", { dialect: "sqlite", path: ":memory:" }],
    [":memory:", { dialect: "sqlite", path: ":memory:" }],
    ["data/app.db", { dialect: "sqlite", path: "data/app.db" }],
    ["/var/lib/app.sqlite", { dialect: "sqlite", path: "/var/lib/app.sqlite" }],
    [
      "postgres://u:p@h:5432/db",
      { dialect: "postgres", connectionString: "postgres://u:p@h:5432/db", schema: undefined },
    ],
    [
      "postgresql://u:p@h/db?schema=tenant_1&sslmode=disable",
      { dialect: "postgres", connectionString: "postgresql://u:p@h/db?sslmode=disable", schema: "tenant_1" },
    ],
    ["mysql://u:p@h:3306/app", { dialect: "mysql", uri: "mysql://u:p@h:3306/app", database: "app" }],
    ["mariadb://u:p@h/app", { dialect: "mysql", uri: "mysql://u:p@h/app", database: "app" }],
  ];
  for (const [url, expected] of cases) {
    it(url, () => assert.deepEqual(parseDatabaseUrl(url), expected));
  }

  it("rejects unknown schemes, unsafe schema names and MySQL URLs without a database", () => {
    assert.throws(() => parseDatabaseUrl("oracle://x/y"), /unsupported DATABASE_URL/);
    assert.throws(() => parseDatabaseUrl("app.txt"), /unsupported DATABASE_URL/);
    assert.throws(() => parseDatabaseUrl("postgres://h/db?schema=a;drop"), /invalid schema/);
    assert.throws(() => parseDatabaseUrl("mysql://h/"), /must name a database/);
  });
});

describe("openDatastore", () => {
  it("opens a bare .db path, migrates on request, and keeps data across reopen", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rampart-open-"));
    try {
      const path = join(dir, "app.db");
      const first = await openDatastore(path, { migrate: true });
      assert.equal(first.dialect, "sqlite");
      await first.users.create({ email: "Kept@example.com" });
      await first.close();
      const second = await openDatastore(`sqlite://${path}`);
      assert.deepEqual(await second.migrations.pending(), []);
      assert.equal((await second.users.findByEmail("kept@EXAMPLE.com"))?.email, "Kept@example.com");
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("without migrate, reports the pending migration", async () => {
    const ds = await openDatastore("sqlite::memory:");
    assert.deepEqual(await ds.migrations.pending(), ALL_MIGRATIONS);
    await ds.close();
  });

  it("fails fast on an unreachable server", async () => {
    await assert.rejects(openDatastore("postgres://nobody:x@127.0.0.1:1/none"));
  });
});
