/**
 * Versioned migrations, listed in code (no filesystem scanning, so they survive bundling). To add one,
 * write `NNNN_name.ts` exporting a `Migration` factory and append it here; names sort in apply order.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from "kysely";
import type { MigrationControl } from "../../contracts.js";
import type { SqlDialect } from "../schema.js";
import { initialMigration } from "./0001_initial.js";
import { profileMigration } from "./0002_profile.js";
import { attemptsMigration } from "./0003_attempts.js";
import { rememberMigration } from "./0004_remember.js";
import { usLastStepMigration } from "./0005_us_last_step.js";
import { usernameSkeletonMigration } from "./0006_username_skeleton.js";
import { sessionStateMigration } from "./0007_session_state.js";

export const MIGRATION_TABLE = "rampart_migration";
export const MIGRATION_LOCK_TABLE = "rampart_migration_lock";

export function rampartMigrations(dialect: SqlDialect): Record<string, Migration> {
  return {
    "0001_initial": initialMigration(dialect),
    "0002_profile": profileMigration(),
    "0003_attempts": attemptsMigration(),
    "0004_remember": rememberMigration(dialect),
    "0005_us_last_step": usLastStepMigration(),
    "0006_username_skeleton": usernameSkeletonMigration(dialect),
    "0007_session_state": sessionStateMigration(dialect),
  };
}

class InCodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: SqlDialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return rampartMigrations(this.dialect);
  }
}

export function createMigrator<DB>(db: Kysely<DB>, dialect: SqlDialect, schema?: string): Migrator {
  return new Migrator({
    db,
    provider: new InCodeMigrationProvider(dialect),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

export function migrationControl<DB>(db: Kysely<DB>, dialect: SqlDialect, schema?: string): MigrationControl {
  const migrator = createMigrator(db, dialect, schema);
  return {
    async migrateToLatest(): Promise<string[]> {
      const { error, results } = await migrator.migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === "Error");
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`migration ${failed?.migrationName ?? ""} failed: ${reason}`, { cause: error });
      }
      return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
    },
    async pending(): Promise<string[]> {
      const migrations = await migrator.getMigrations();
      return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
    },
  };
}
