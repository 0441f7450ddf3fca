/**
 * Opens a Datastore from a DATABASE_URL-style string:
 * - `sqlite:///abs/path.db` (absolute; `sqlite:////abs/path.db` too), `sqlite://relative.db`, `sqlite:relative.db`,
 *   `sqlite::memory:`, `sqlite://`, `:memory:`, or a bare path ending in .db / .sqlite / .sqlite3.
 *   Note: unlike SQLAlchemy (where `sqlite:///x.db` is relative), three slashes mean an absolute path here.
 * - `postgres://…` / `postgresql://…`, optionally `?schema=NAME` (search_path of every pooled connection).
 * - `mysql://…` / `mariadb://…`.
 */
import { Kysely, sql } from "kysely";
import type { Datastore } from "./contracts.js";
import { KyselyDatastore } from "./kysely/datastore.js";
import { mysqlDialect, postgresDialect, sqliteDialect } from "./kysely/drivers.js";
import type { Database, SqlDialect } from "./kysely/schema.js";

export type ParsedDatabaseUrl =
  | { dialect: "sqlite"; path: string }
  | { dialect: "postgres"; connectionString: string; schema: string | undefined }
  | { dialect: "mysql"; uri: string; database: string };

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function sqlitePath(rest: string): string {
  const noQuery = rest.replace(/\?.*$/, "");
  if (noQuery === "" || noQuery === "//" || noQuery === ":memory:" || noQuery === "//:memory:") return ":memory:";
  if (noQuery.startsWith("///")) return "/" + decodeURIComponent(noQuery.replace(/^\/+/, ""));
  if (noQuery.startsWith("//")) return decodeURIComponent(noQuery.slice(2));
  return decodeURIComponent(noQuery);
}

export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  const u = url.trim();
  if (u === ":memory:") return { dialect: "sqlite", path: ":memory:" };
  if (/^sqlite:/i.test(u)) return { dialect: "sqlite", path: sqlitePath(u.slice("sqlite:".length)) };
  if (/^postgres(ql)?:\/\//i.test(u)) {
    const parsed = new URL(u);
    const schema = parsed.searchParams.get("schema") ?? undefined;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name in DATABASE_URL: ${schema}`);
    parsed.searchParams.delete("schema");
    return { dialect: "postgres", connectionString: parsed.toString(), schema };
  }
  if (/^(mysql|mariadb):\/\//i.test(u)) {
    const uri = u.replace(/^mariadb:/i, "mysql:");
    const database = decodeURIComponent(new URL(uri).pathname.replace(/^\//, ""));
    if (!database) throw new Error("DATABASE_URL for MySQL/MariaDB must name a database");
    return { dialect: "mysql", uri, database };
  }
  if (!u.includes("://") && /\.(db|sqlite|sqlite3)$/i.test(u)) return { dialect: "sqlite", path: u };
  throw new Error(
    "unsupported DATABASE_URL (expected sqlite:…, a .db/.sqlite file, postgres://…, postgresql://…, mysql://… or mariadb://…)",
  );
}

export interface OpenDatastoreOptions {
  /** Connections per pool (PostgreSQL, MySQL). Default 10. */
  poolSize?: number;
  /** SQLite busy timeout. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Apply pending migrations before returning. Default false. */
  migrate?: boolean;
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: SqlDialect;
  /** PostgreSQL schema in use (from `?schema=` or current_schema()). */
  schema: string | undefined;
  /** SQL texts the driver prepares server-side; hand it to KyselyDatastore. */
  preparedSql: Set<string>;
}

/** Opens a pooled Kysely instance for the URL and checks that it answers. */
export async function openDatabase(url: string, options: OpenDatastoreOptions = {}): Promise<OpenedDatabase> {
  const target = parseDatabaseUrl(url);
  const preparedSql = new Set<string>();
  const poolSize = options.poolSize ?? 10;
  let db: Kysely<Database>;
  let schema: string | undefined;
  if (target.dialect === "sqlite") {
    db = new Kysely<Database>({ dialect: sqliteDialect({ path: target.path, busyTimeoutMs: options.busyTimeoutMs ?? 5000 }) });
  } else if (target.dialect === "postgres") {
    schema = target.schema;
    db = new Kysely<Database>({
      dialect: postgresDialect({ connectionString: target.connectionString, schema, poolSize, preparedSql }),
    });
  } else {
    db = new Kysely<Database>({ dialect: mysqlDialect({ uri: target.uri, poolSize, preparedSql }) });
  }
  try {
    await sql`select 1`.execute(db);
    if (target.dialect === "postgres" && schema === undefined) {
      const { rows } = await sql<{ s: string | null }>`select current_schema() as s`.execute(db);
      schema = rows[0]?.s ?? undefined;
    }
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
  return { db, dialect: target.dialect, schema, preparedSql };
}

/** Opens the Kysely datastore for a DATABASE_URL; see the module comment for accepted forms. */
export async function openDatastore(url: string, options: OpenDatastoreOptions = {}): Promise<Datastore> {
  const opened = await openDatabase(url, options);
  const datastore = new KyselyDatastore(opened.db, opened.dialect, { preparedSql: opened.preparedSql, schema: opened.schema });
  if (options.migrate) {
    try {
      await datastore.migrations.migrateToLatest();
    } catch (err) {
      await datastore.close().catch(() => undefined);
      throw err;
    }
  }
  return datastore;
}
