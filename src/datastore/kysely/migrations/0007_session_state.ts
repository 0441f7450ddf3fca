import type { Kysely, Migration } from "kysely";
import type { SqlDialect } from "../schema.js";

/**
 * Sessions get typed columns for what they carried in their free-form `data` JSON: the multi-factor proof of
 * the sign-in behind them (`mfa_kind`, `mfa_method`), a pending token rotation after a privilege change
 * (`rotate_pending`) and the remember-me record they belong to (`remember_id`). Live sessions keep their state:
 * it is copied over here. `data` stays and is still written (and read as a fallback), so old and new instances
 * agree during a rolling upgrade.
 */
export function sessionStateMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable("session").addColumn("mfa_kind", "varchar(32)").execute();
      await db.schema.alterTable("session").addColumn("mfa_method", "varchar(64)").execute();
      await db.schema
        .alterTable("session")
        .addColumn("rotate_pending", "boolean", (c) => c.notNull().defaultTo(false))
        .execute();
      await db.schema.alterTable("session").addColumn("remember_id", "varchar(64)").execute();
      let after = "";
      for (;;) {
        const rows: { id: string; data: string }[] = await db
          .selectFrom("session")
          .select(["id", "data"])
          .where("id", ">", after)
          .where("data", "<>", "{}")
          .orderBy("id")
          .limit(500)
          .execute();
        if (!rows.length) break;
        for (const row of rows) {
          const state = fromData(row.data);
          if (!state) continue;
          await db
            .updateTable("session")
            .set({
              ...state,
              rotate_pending: dialect === "postgres" ? state.rotate_pending : Number(state.rotate_pending),
            })
            .where("id", "=", row.id)
            .execute();
        }
        after = rows[rows.length - 1]!.id;
      }
    },
  };
}

/** The typed columns of an old `data` JSON ({ sf: "tf:<method>" | "mf:<method>", rotate: true, rm: "<id>" }). */
function fromData(
  text: string,
): { mfa_kind: string | null; mfa_method: string | null; rotate_pending: boolean; remember_id: string | null } | null {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!data || typeof data !== "object") return null;
  const sf = typeof data.sf === "string" ? data.sf : "";
  const kind = sf.startsWith("tf:") ? "second-factor" : sf.startsWith("mf:") ? "multi-factor-sign-in" : null;
  return {
    mfa_kind: kind,
    mfa_method: kind ? sf.slice(3) : null,
    rotate_pending: data.rotate === true,
    remember_id: typeof data.rm === "string" ? data.rm : null,
  };
}
