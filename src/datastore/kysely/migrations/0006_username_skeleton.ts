/**
 * `user.username_skeleton`: the fingerprint of how a username looks (usernameSkeleton, Unicode TR39), under a
 * UNIQUE index, so "аlice" (Cyrillic а), "alıce" or "a1ice" cannot be stored beside "alice" — on every
 * database and under concurrent writes, as the canonical columns do for case.
 *
 * Existing rows are backfilled in id order. Look-alike names already stored side by side stay as they are:
 * the oldest keeps the skeleton, the later ones get NULL (not checked), so the migration never fails on
 * existing data. Every step checks before it acts, so a run interrupted on MySQL can be repeated.
 */
import type { Kysely, Migration } from "kysely";
import { usernameSkeleton } from "../../canonical.js";
import type { SqlDialect } from "../schema.js";
import { indexExists, tableColumns } from "./introspect.js";

const INDEX = "user_username_skeleton_uq";

export function usernameSkeletonMigration(dialect: SqlDialect): Migration {
  return {
    async up(untyped: Kysely<unknown>): Promise<void> {
      const columns = await tableColumns(untyped, dialect, "user");
      if (!columns?.has("username_skeleton")) {
        await untyped.schema.alterTable("user").addColumn("username_skeleton", "varchar(64)").execute();
      }
      if (await indexExists(untyped, dialect, "user", INDEX)) return;
      const db = untyped.withTables<{
        user: { id: number; username: string | null; username_skeleton: string | null };
      }>();
      await db.updateTable("user").set({ username_skeleton: null }).execute();
      const taken = new Set<string>();
      let lastId = 0;
      for (;;) {
        const rows = await db
          .selectFrom("user")
          .select(["id", "username"])
          .where("id", ">", lastId)
          .where("username", "is not", null)
          .orderBy("id")
          .limit(500)
          .execute();
        if (rows.length === 0) break;
        for (const r of rows) {
          lastId = Number(r.id);
          const skeleton = usernameSkeleton(r.username!);
          if (taken.has(skeleton)) continue;
          taken.add(skeleton);
          await db.updateTable("user").set({ username_skeleton: skeleton }).where("id", "=", r.id).execute();
        }
      }
      await untyped.schema.createIndex(INDEX).on("user").column("username_skeleton").unique().execute();
    },
  };
}
