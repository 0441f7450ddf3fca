/**
 * Databases for tests. SQLite always; PostgreSQL and MariaDB when RAMPART_TEST_POSTGRES_URL /
 * RAMPART_TEST_MYSQL_URL are set (scripts/services.sh writes them to .test-services.env; scripts/test.mjs loads
 * it). With CI set, a missing URL is an error, never a silent skip.
 *
 * Isolation: SQLite gets a temp file (in `rampart-test-<time>-*` under the temp dir); PostgreSQL a fresh schema `rampart_t_<time>_<random>` (selected with
 * `?schema=`); MySQL a fresh database of the same name (the test user may create `rampart\_%` databases).
 * `cleanup()` drops it. Leftovers of crashed runs older than an hour are dropped on first use.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import pg from "pg";
import type { Datastore } from "../../src/datastore/contracts.js";
import { openDatastore } from "../../src/datastore/open.js";
import { featureMigrations } from "../../src/features/builtin.js";

export type TestDialect = "sqlite" | "postgres" | "mysql";

const ENV: Record<Exclude<TestDialect, "sqlite">, string> = {
  postgres: "RAMPART_TEST_POSTGRES_URL",
  mysql: "RAMPART_TEST_MYSQL_URL",
};

/** Base URL of a configured server, or undefined; throws under CI when it is missing. */
export function testServerUrl(dialect: Exclude<TestDialect, "sqlite">): string | undefined {
  const url = process.env[ENV[dialect]];
  if (!url && process.env.CI) throw new Error(`CI run without ${ENV[dialect]}: ${dialect} tests must run in CI`);
  return url || undefined;
}

/** The databases tests should run on: SQLite always, PostgreSQL / MySQL when configured (required under CI). */
export function testDatabaseUrls(): { name: TestDialect; url: string }[] {
  const out: { name: TestDialect; url: string }[] = [{ name: "sqlite", url: "sqlite::memory:" }];
  for (const name of ["postgres", "mysql"] as const) {
    const url = testServerUrl(name);
    if (url) out.push({ name, url });
  }
  return out;
}

function requireServerUrl(dialect: Exclude<TestDialect, "sqlite">): string {
  const url = testServerUrl(dialect);
  if (!url) throw new Error(`${ENV[dialect]} is not set (run scripts/services.sh, or node scripts/test.mjs)`);
  return url;
}

const STALE_MS = 60 * 60 * 1000;

function newName(): string {
  return `rampart_t_${Date.now().toString(36)}_${randomBytes(6).toString("hex")}`;
}

function isStale(name: string): boolean {
  const m = /^rampart[_-]t(?:est)?[_-]([0-9a-z]+)[_-]/.exec(name);
  return m !== null && m[1] !== undefined && Date.now() - parseInt(m[1], 36) > STALE_MS;
}

async function withPg<T>(baseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function withMysql<T>(baseUrl: string, fn: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ uri: baseUrl.replace(/^mariadb:/i, "mysql:") });
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

const sweptStale = new Set<TestDialect>();

async function sweepStale(dialect: TestDialect, baseUrl: string): Promise<void> {
  if (sweptStale.has(dialect)) return;
  sweptStale.add(dialect);
  try {
    if (dialect === "sqlite") {
      for (const name of await readdir(tmpdir())) {
        if (name.startsWith("rampart-test-") && isStale(name))
          await rm(join(tmpdir(), name), { recursive: true, force: true });
      }
    } else if (dialect === "postgres") {
      await withPg(baseUrl, async (c) => {
        const { rows } = await c.query<{ n: string }>(
          "select nspname as n from pg_namespace where nspname like 'rampart\\_t\\_%'",
        );
        for (const { n } of rows) if (isStale(n)) await c.query(`drop schema if exists "${n}" cascade`);
      });
    } else {
      await withMysql(baseUrl, async (c) => {
        const [rows] = await c.query(
          "select schema_name as n from information_schema.schemata where schema_name like 'rampart\\_t\\_%'",
        );
        for (const row of rows as { n: string }[])
          if (isStale(row.n)) await c.query(`drop database if exists \`${row.n}\``);
      });
    }
  } catch {
    // Best effort only.
  }
}

/**
 * A URL naming a fresh, empty, isolated database (not migrated), e.g. for a server process started by a test.
 * `cleanup()` drops it; close every connection to it first.
 */
export async function isolatedDatabaseUrl(dialect: TestDialect): Promise<{ url: string; cleanup(): Promise<void> }> {
  if (dialect === "sqlite") {
    await sweepStale("sqlite", "");
    const dir = await mkdtemp(join(tmpdir(), `rampart-test-${Date.now().toString(36)}-`));
    return { url: `sqlite://${join(dir, "test.db")}`, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
  const base = requireServerUrl(dialect);
  await sweepStale(dialect, base);
  const name = newName();
  if (dialect === "postgres") {
    await withPg(base, (c) => c.query(`create schema "${name}"`));
    const url = new URL(base);
    url.searchParams.set("schema", name);
    return {
      url: url.toString(),
      cleanup: () => withPg(base, async (c) => void (await c.query(`drop schema if exists "${name}" cascade`))),
    };
  }
  await withMysql(base, (c) => c.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_bin`));
  const url = new URL(base.replace(/^mariadb:/i, "mysql:"));
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    cleanup: () => withMysql(base, async (c) => void (await c.query(`drop database if exists \`${name}\``))),
  };
}

/**
 * A fresh, migrated datastore on its own isolated database. `cleanup()` closes the datastore (if still open)
 * and drops the database; it is safe to call twice.
 */
export async function createIsolatedDatastore(
  dialect: TestDialect,
  prepare?: (url: string) => Promise<void>,
): Promise<{ datastore: Datastore; url: string; cleanup(): Promise<void> }> {
  const isolated = await isolatedDatabaseUrl(dialect);
  let datastore: Datastore | undefined;
  try {
    // An existing (e.g. Flask-Security) database, made before Rampart's migrations run.
    if (prepare) await prepare(isolated.url);
    datastore = await openDatastore(isolated.url, { poolSize: 5 });
    // Rampart's migrations and the built-in features' own tables, as `rampart migrate` applies them.
    await datastore.migrations.migrateToLatest(await featureMigrations());
  } catch (err) {
    await datastore?.close().catch(() => undefined);
    await isolated.cleanup().catch(() => undefined);
    throw err;
  }
  let done: Promise<void> | undefined;
  const cleanup = (): Promise<void> => {
    done ??= (async () => {
      await datastore.close().catch(() => undefined);
      await isolated.cleanup();
    })();
    return done;
  };
  return { datastore, url: isolated.url, cleanup };
}
