import { sql } from "kysely";
import type { StoreContext } from "./context.js";

/**
 * The database server's current time (not the transaction's start: clock_timestamp, NOW(6) per statement), so
 * instances can measure how far their own clock is from the one they all share.
 */
export async function databaseNow(ctx: StoreContext): Promise<Date> {
  const query =
    ctx.dialect === "postgres"
      ? sql<{ ms: string | number }>`select extract(epoch from clock_timestamp()) * 1000 as ms`
      : ctx.dialect === "mysql"
        ? sql<{ ms: string | number }>`select unix_timestamp(now(6)) * 1000 as ms`
        : sql<{ ms: string | number }>`select (julianday('now') - 2440587.5) * 86400000.0 as ms`;
  const { rows } = await query.execute(ctx.db);
  const ms = Number(rows[0]?.ms);
  if (!Number.isFinite(ms)) throw new Error(`the database answered no usable time (${String(rows[0]?.ms)})`);
  return new Date(Math.round(ms));
}
