import type { FeatureMigration } from "../../../datastore/feature-migrations.js";
import { oauthAccountsMigration } from "./0001_oauth_accounts.js";

/** The feature's migrations by name (needed whether the feature is on or off). */
export const oauthMigrations: Record<string, FeatureMigration> = {
  "0001_oauth_accounts": oauthAccountsMigration,
};
