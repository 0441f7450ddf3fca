import { sql, type Kysely, type Migration } from "kysely";
import type { SqlDialect } from "../schema.js";

/**
 * MySQL/MariaDB: `rampart_attempt` (0003) was created without table options, so it took the database's default
 * collation — on most servers a case-insensitive one (utf8mb4_general_ci), under which two counter keys that
 * differ only in case are one row. It is converted to utf8mb4 with exact (binary) comparison and InnoDB, as
 * every other Rampart table is created. Every other table of 0001-0010 already has it (columns added later take
 * their table's default). Converting never merges rows: binary comparison only tells more keys apart. SQLite and
 * PostgreSQL compare exactly already: nothing to do.
 */
export function binaryCollationMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== "mysql") return;
      await sql`ALTER TABLE rampart_attempt ENGINE=InnoDB, CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`.execute(
        db,
      );
    },
  };
}
