/**
 * Versioned migrations, listed in code (no filesystem scanning, so they survive bundling). To add one,
 * write `NNNN_name.ts` exporting a `Migration` factory and append it here; names sort in apply order.
 * Features bring their own (`<feature>/NNNN_name`, see feature-migrations.ts): they run through the same
 * migrator, recorded in the same table, after Rampart's own pending ones (digits sort before letters).
 */
import { DependencyUnavailableError } from "../../../core/errors.js";
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from "kysely";
import type { MigrationControl } from "../../contracts.js";
import type { FeatureMigrations } from "../../feature-migrations.js";
import type { SqlDialect } from "../schema.js";
import { initialMigration } from "./0001_initial.js";
import { profileMigration } from "./0002_profile.js";
import { attemptsMigration } from "./0003_attempts.js";
import { rememberMigration } from "./0004_remember.js";
import { usLastStepMigration } from "./0005_us_last_step.js";
import { usernameSkeletonMigration } from "./0006_username_skeleton.js";
import { sessionStateMigration } from "./0007_session_state.js";
import { sessionRevocationMigration } from "./0008_session_revocation.js";
import { outboxMigration } from "./0009_outbox.js";
import { limitsMigration } from "./0010_limits.js";
import { binaryCollationMigration } from "./0011_binary_collation.js";

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
    "0008_session_revocation": sessionRevocationMigration(dialect),
    "0009_outbox": outboxMigration(dialect),
    "0010_limits": limitsMigration(dialect),
    "0011_binary_collation": binaryCollationMigration(dialect),
  };
}

/** A migration recorded by a feature no longer declared: its tables stay, it is never run again. */
const RECORDED_ELSEWHERE: Migration = { up: async () => undefined };

class InCodeMigrationProvider implements MigrationProvider {
  constructor(
    private readonly dialect: SqlDialect,
    private readonly features: FeatureMigrations,
    private readonly recorded: readonly string[],
  ) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const all = rampartMigrations(this.dialect);
    for (const [name, migration] of Object.entries(this.features)) {
      if (name in all) throw new TypeError(`migration ${name} declared twice`);
      all[name] = migration(this.dialect);
    }
    // Only a feature's migrations (qualified "<feature>/…") may be recorded and not declared: a Rampart migration
    // recorded by a newer version stays unknown, so an older version refuses to run on the newer schema.
    for (const name of this.recorded) if (name.includes("/")) all[name] ??= RECORDED_ELSEWHERE;
    return all;
  }
}

/**
 * The migrator over Rampart's migrations and `features`' (qualified names). `recorded`: names already in the
 * migration table; those no code declares any more are carried as done (Kysely refuses a "missing" one).
 * Out-of-order names are allowed: a feature added later, or a Rampart migration newer than a feature's, sorts
 * anywhere among the recorded ones and still runs exactly once.
 */
export function createMigrator<DB>(
  db: Kysely<DB>,
  dialect: SqlDialect,
  schema?: string,
  features: FeatureMigrations = {},
  recorded: readonly string[] = [],
): Migrator {
  return new Migrator({
    db,
    provider: new InCodeMigrationProvider(dialect, features, recorded),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/** Names in the migration table (none when it does not exist yet). */
async function recordedMigrations<DB>(db: Kysely<DB>, schema?: string): Promise<string[]> {
  const table = schema ? sql.table(`${schema}.${MIGRATION_TABLE}`) : sql.table(MIGRATION_TABLE);
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
    return rows.map((r) => r.name);
  } catch (err) {
    // A missing table means none yet; a database that cannot answer must not look like an empty one.
    if (err instanceof DependencyUnavailableError) throw err;
    return [];
  }
}

export function migrationControl<DB>(db: Kysely<DB>, dialect: SqlDialect, schema?: string): MigrationControl {
  const migrator = async (features: FeatureMigrations = {}) =>
    createMigrator(db, dialect, schema, features, await recordedMigrations(db, schema));
  return {
    async migrateToLatest(features?: FeatureMigrations): Promise<string[]> {
      const { error, results } = await (await migrator(features)).migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === "Error");
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`migration ${failed?.migrationName ?? ""} failed: ${reason}`, { cause: error });
      }
      return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
    },
    async pending(features?: FeatureMigrations): Promise<string[]> {
      const migrations = await (await migrator(features)).getMigrations();
      return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
    },
  };
}
