import { sql } from "kysely";
import type { AttemptStore } from "../contracts.js";
import { inTransaction, type StoreContext } from "./context.js";

/**
 * Attempt budgets in `rampart_attempt`: one row per key, a fixed window. `hit` is a single upsert (insert, or
 * restart an expired window, or add one) followed by a read in the same transaction, so concurrent hits are
 * serialized on the row and each sees its own count.
 */
export class KyselyAttemptStore implements AttemptStore {
  constructor(private readonly ctx: StoreContext) {}

  async hit(key: string, windowSeconds: number, now: Date): Promise<number> {
    const nowMs = now.getTime();
    const expiredBefore = nowMs - windowSeconds * 1000;
    return inTransaction(this.ctx.db, async (db) => {
      const insert = db.insertInto("rampart_attempt").values({ key, count: 1, window_start: nowMs });
      if (this.ctx.dialect === "mysql") {
        // MySQL evaluates SET left to right: count must be decided before window_start is replaced.
        await insert
          .onDuplicateKeyUpdate({
            count: sql`IF(window_start <= ${expiredBefore}, 1, count + 1)`,
            window_start: sql`IF(window_start <= ${expiredBefore}, ${nowMs}, window_start)`,
          })
          .execute();
      } else {
        await insert
          .onConflict((oc) =>
            oc.column("key").doUpdateSet({
              count: sql`CASE WHEN rampart_attempt.window_start <= ${expiredBefore} THEN 1 ELSE rampart_attempt.count + 1 END`,
              window_start: sql`CASE WHEN rampart_attempt.window_start <= ${expiredBefore} THEN ${nowMs} ELSE rampart_attempt.window_start END`,
            }),
          )
          .execute();
      }
      const row = await db
        .selectFrom("rampart_attempt")
        .select("count")
        .where("key", "=", key)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    });
  }

  async peek(key: string, windowSeconds: number, now: Date): Promise<number> {
    const row = await this.ctx.db
      .selectFrom("rampart_attempt")
      .select(["count", "window_start"])
      .where("key", "=", key)
      .executeTakeFirst();
    if (!row || Number(row.window_start) <= now.getTime() - windowSeconds * 1000) return 0;
    return Number(row.count);
  }

  async deleteExpired(prefix: string, windowSeconds: number, now: Date): Promise<number> {
    // LIKE with the prefix's own wildcards escaped, so "a_b:" never matches "aXb:". "!" as the escape character:
    // a backslash means different things in MySQL and PostgreSQL string literals.
    const pattern = prefix.replace(/[!%_]/g, (c) => "!" + c) + "%";
    const result = await this.ctx.db
      .deleteFrom("rampart_attempt")
      .where(sql<boolean>`${sql.ref("key")} like ${pattern} escape '!'`)
      .where("window_start", "<=", now.getTime() - windowSeconds * 1000)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async clear(key: string): Promise<void> {
    await this.ctx.db.deleteFrom("rampart_attempt").where("key", "=", key).execute();
  }
}
