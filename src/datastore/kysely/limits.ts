import { sql } from "kysely";
import type { LimitCounter, LimitStore } from "../contracts.js";
import { inTransaction, type StoreContext } from "./context.js";

/**
 * Rate-limit counters in `rampart_limit` for the database limiter store. An upsert and the read of its result
 * run in one transaction, so concurrent consumers of one key are serialized on its row and each sees its own
 * count (MySQL has no RETURNING; one shape for the three databases keeps them alike).
 */
export class KyselyLimitStore implements LimitStore {
  constructor(private readonly ctx: StoreContext) {}

  async upsert(
    key: string,
    points: number,
    msDuration: number,
    forceExpire: boolean,
    nowMs: number,
  ): Promise<LimitCounter> {
    const expire = msDuration > 0 ? nowMs + msDuration : null;
    return inTransaction(this.ctx.db, async (db) => {
      const insert = db.insertInto("rampart_limit").values({ key, points, expire });
      // A live counter (no end, or an end still ahead) grows; an ended one starts over. forceExpire replaces it.
      const live = (table: string) =>
        sql`(${sql.ref(`${table}.expire`)} is null or ${sql.ref(`${table}.expire`)} > ${nowMs})`;
      if (this.ctx.dialect === "mysql") {
        // MySQL evaluates SET left to right: points must be decided before expire is replaced.
        await insert
          .onDuplicateKeyUpdate(
            forceExpire
              ? { points, expire }
              : {
                  points: sql`IF(${live("rampart_limit")}, points + ${points}, ${points})`,
                  expire: sql`IF(${live("rampart_limit")}, expire, ${expire})`,
                },
          )
          .execute();
      } else {
        await insert
          .onConflict((oc) =>
            oc.column("key").doUpdateSet(
              forceExpire
                ? { points, expire }
                : {
                    points: sql`CASE WHEN ${live("rampart_limit")} THEN rampart_limit.points + ${points} ELSE ${points} END`,
                    expire: sql`CASE WHEN ${live("rampart_limit")} THEN rampart_limit.expire ELSE ${expire} END`,
                  },
            ),
          )
          .execute();
      }
      const row = await db
        .selectFrom("rampart_limit")
        .select(["points", "expire"])
        .where("key", "=", key)
        .executeTakeFirstOrThrow();
      return counter(row);
    });
  }

  async get(key: string, nowMs: number): Promise<LimitCounter | null> {
    const row = await this.ctx.db
      .selectFrom("rampart_limit")
      .select(["points", "expire"])
      .where("key", "=", key)
      .executeTakeFirst();
    if (!row) return null;
    const found = counter(row);
    return found.expire !== null && found.expire <= nowMs ? null : found;
  }

  async delete(key: string): Promise<boolean> {
    const result = await this.ctx.db.deleteFrom("rampart_limit").where("key", "=", key).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteExpired(nowMs: number): Promise<number> {
    const result = await this.ctx.db
      .deleteFrom("rampart_limit")
      .where("expire", "is not", null)
      .where("expire", "<=", nowMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function counter(row: { points: number | string; expire: number | string | null }): LimitCounter {
  return { points: Number(row.points), expire: row.expire === null ? null : Number(row.expire) };
}
