// Databases under test: a fresh SQLite file per run, and a fresh PostgreSQL database `rampart_bench` when a
// server is reachable (RAMPART_BENCH_POSTGRES_URL, else the one the tests use, from .test-services.env).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { ROOT } from "./procs.mjs";

export function sqliteDatabase() {
  const dir = mkdtempSync(join(tmpdir(), "rampart-bench-"));
  const cleanup = async () => rmSync(dir, { recursive: true, force: true });
  return { name: "SQLite (file, WAL)", key: "sqlite", url: `sqlite://${join(dir, "bench.db")}`, cleanup };
}

function postgresAdminUrl() {
  if (process.env.RAMPART_BENCH_POSTGRES_URL) return process.env.RAMPART_BENCH_POSTGRES_URL;
  if (process.env.RAMPART_TEST_POSTGRES_URL) return process.env.RAMPART_TEST_POSTGRES_URL;
  const file = join(ROOT, ".test-services.env");
  if (!existsSync(file)) return null;
  const m = readFileSync(file, "utf8").match(/^RAMPART_TEST_POSTGRES_URL=(.*)$/m);
  return m ? m[1].trim() : null;
}

/** A freshly created `rampart_bench` database, or { skipped: reason }. Never touches the tests' database. */
export async function postgresDatabase() {
  const admin = postgresAdminUrl();
  if (!admin) return { skipped: "no PostgreSQL URL (set RAMPART_BENCH_POSTGRES_URL)" };
  const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query("select version() as v");
    await client.query("drop database if exists rampart_bench with (force)");
    await client.query("create database rampart_bench");
    const url = new URL(admin);
    url.pathname = "/rampart_bench";
    const cleanup = async () => {
      const c = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 3000 });
      await c.connect();
      await c.query("drop database if exists rampart_bench with (force)").finally(() => c.end());
    };
    return {
      cleanup,
      name: `PostgreSQL ${rows[0].v.match(/PostgreSQL ([\d.]+)/)?.[1] ?? ""} (loopback, same machine)`,
      key: "postgres",
      url: url.toString(),
    };
  } catch (e) {
    return { skipped: `PostgreSQL not reachable: ${e.message}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}
