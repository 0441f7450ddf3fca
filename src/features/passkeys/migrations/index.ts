import type { FeatureMigration } from "../../../datastore/feature-migrations.js";
import { webauthnMigration } from "./0001_webauthn.js";

/** The feature's migrations by name (needed whether the feature is on or off). */
export const passkeysMigrations: Record<string, FeatureMigration> = {
  "0001_webauthn": webauthnMigration,
};
