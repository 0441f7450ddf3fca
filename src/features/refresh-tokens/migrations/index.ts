import type { FeatureMigration } from "../../../datastore/feature-migrations.js";
import { refreshFamilyMigration } from "./0001_refresh_family.js";

/** The feature's migrations by name (needed whether the feature is on or off). */
export const refreshTokensMigrations: Record<string, FeatureMigration> = {
  "0001_refresh_family": refreshFamilyMigration,
};
