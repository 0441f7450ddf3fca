/**
 * Migrations a feature brings for its own tables. Names are namespaced by the feature (`<feature>/<NNNN_name>`)
 * and recorded in the same migration table as Rampart's own, so each runs once whatever the order features are
 * added in. Type-only imports of Kysely: the composition root and the CLI qualify names without loading it.
 */
import type { Migration } from "kysely";
import type { SqlDialect } from "./kysely/schema.js";

export type { Migration } from "kysely";

/** One migration of a feature; told the dialect so it can spell types and indexes per database. */
export type FeatureMigration = (dialect: SqlDialect) => Migration;

/** Migrations by qualified name ("passkeys/0001_webauthn"), as the migrator receives them. */
export type FeatureMigrations = Readonly<Record<string, FeatureMigration>>;

/** A feature name usable as a namespace: starts with a letter, so Rampart's own (digits) always sort first. */
const FEATURE_NAME = /^[a-z][a-z0-9-]{0,63}$/;
/** A migration name inside a feature: a 4-digit sequence number (the apply order), then a name. */
const MIGRATION_NAME = /^[0-9]{4}_[a-z0-9_]{1,100}$/;

/** Prefixes a feature's migration names with the feature's name; throws a TypeError on a name it cannot use. */
export function qualifyMigrations(
  feature: string,
  migrations: Readonly<Record<string, FeatureMigration>>,
): Record<string, FeatureMigration> {
  const names = Object.keys(migrations);
  if (names.length && !FEATURE_NAME.test(feature))
    throw new TypeError(
      `feature "${feature}" brings migrations but its name is not a lower-case namespace (a-z, 0-9, -)`,
    );
  const out: Record<string, FeatureMigration> = {};
  for (const name of names) {
    if (!MIGRATION_NAME.test(name))
      throw new TypeError(`migration "${name}" of feature "${feature}" must be named NNNN_name (lower case)`);
    out[`${feature}/${name}`] = migrations[name] as FeatureMigration;
  }
  return out;
}
