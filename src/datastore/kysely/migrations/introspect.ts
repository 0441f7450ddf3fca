/** Schema questions migrations ask, answered per dialect for the current schema/database only. */
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { SqlDialect } from "../schema.js";

/** Column names of `table` in the current schema, or null when the table does not exist. */
export async function tableColumns(
  db: Kysely<unknown>,
  dialect: SqlDialect,
  table: string,
): Promise<Set<string> | null> {
  let query: RawBuilder<{ name: string }>;
  if (dialect === "sqlite") query = sql`select name from pragma_table_info(${table})`;
  else if (dialect === "postgres") {
    query = sql`select column_name as name from information_schema.columns
                where table_schema = current_schema() and table_name = ${table}`;
  } else {
    query = sql`select column_name as name from information_schema.columns
                where table_schema = database() and table_name = ${table}`;
  }
  const { rows } = await query.execute(db);
  return rows.length === 0 ? null : new Set(rows.map((r) => String(r.name).toLowerCase()));
}

export async function indexExists(
  db: Kysely<unknown>,
  dialect: SqlDialect,
  table: string,
  index: string,
): Promise<boolean> {
  let query: RawBuilder<{ name: string }>;
  if (dialect === "sqlite") query = sql`select name from sqlite_master where type = 'index' and name = ${index}`;
  else if (dialect === "postgres") {
    query = sql`select indexname as name from pg_indexes
                where schemaname = current_schema() and tablename = ${table} and indexname = ${index}`;
  } else {
    query = sql`select index_name as name from information_schema.statistics
                where table_schema = database() and table_name = ${table} and index_name = ${index}`;
  }
  const { rows } = await query.execute(db);
  return rows.length > 0;
}
