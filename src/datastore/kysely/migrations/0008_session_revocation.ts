import { sql, type Kysely, type Migration } from "kysely";
import type { SqlDialect } from "../schema.js";

/**
 * Durable revocation of sessions kept outside the database (Redis): deleting such a session only deletes it from
 * Redis, which a restored snapshot or a lagging replica can undo. `rampart_session_revocation` lists the sessions
 * that ended (logout, revoking one), kept until the session's own expiry; `rampart_session_cutoff` holds one
 * "every session of this user made before this time has ended, but this one" per user (revoking all or all but
 * the current one), which also covers sessions the store no longer listed when the revocation happened. The
 * session-end markers an older version kept in `rampart_attempt` are carried over.
 */
export function sessionRevocationMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // Binary collation on MySQL: ids compare exactly, as everywhere else.
      const binary = sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
      let list = db.schema
        .createTable("rampart_session_revocation")
        .addColumn("session_id", "varchar(64)", (c) => c.primaryKey())
        .addColumn("user_id", "integer", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull());
      if (dialect === "mysql") list = list.modifyEnd(binary);
      await list.execute();
      await db.schema
        .createIndex("rampart_session_revocation_expires_idx")
        .on("rampart_session_revocation")
        .column("expires_at")
        .execute();
      let cutoff = db.schema
        .createTable("rampart_session_cutoff")
        .addColumn("user_id", "integer", (c) => c.primaryKey())
        .addColumn("revoked_before", "bigint", (c) => c.notNull())
        .addColumn("keep_session_id", "varchar(64)");
      if (dialect === "mysql") cutoff = cutoff.modifyEnd(binary);
      await cutoff.execute();
      // Markers of the previous scheme ("session-ended:<id>" counters, window = the longest session): the user is
      // unknown there (0); kept 30 days, longer than any usual absolute timeout, then swept like the others.
      const { rows } = await sql<{ key: string; window_start: number | string }>`
        select ${sql.ref("key")}, window_start from rampart_attempt where ${sql.ref("key")} like 'session-ended:%'
      `.execute(db);
      for (const row of rows) {
        const id = row.key.slice("session-ended:".length);
        if (!id || id.length > 64) continue;
        const expiresAt = Number(row.window_start) + 30 * 24 * 60 * 60 * 1000;
        await sql`insert into rampart_session_revocation (session_id, user_id, expires_at)
          values (${id}, 0, ${expiresAt})`.execute(db);
      }
      await sql`delete from rampart_attempt where ${sql.ref("key")} like 'session-ended:%'`.execute(db);
    },
  };
}
