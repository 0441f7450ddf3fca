/**
 * The public config loaders, over every slice (core, mail, SMS, TOTP and every built-in feature, plus an app's
 * own features): `configFromEnv` reads Flask-Security's environment names — the loader `rampart serve` uses —
 * and `resolveConfig` validates an input the way createRampart does.
 */
import type { ConfigIssue } from "./core/errors.js";
import type { Feature } from "./core/feature.js";
import {
  configFromEnv as readEnv,
  resolveConfig as resolveWith,
  type RampartConfig,
  type RampartConfigInput,
} from "./core/config/index.js";
import { builtinFeatures, configSlices } from "./features/builtin.js";
import type { totpSlice } from "./kit/passcodes/config.js";
import type { changeEmailSlice } from "./features/change-email/config.js";
import type { changePasswordSlice } from "./features/change-password/config.js";
import type { confirmationSlice } from "./features/confirmation/config.js";
import type { profileSlice } from "./features/profile/config.js";
import type { recoverySlice } from "./features/recovery/config.js";
import type { registrationSlice } from "./features/registration/config.js";
import type { twoFactorSlice } from "./features/two-factor/config.js";
import type { unifiedSigninSlice } from "./features/unified-signin/config.js";
import type { usernameFeaturesSlice } from "./features/username/config.js";
import type { mailSlice } from "./mail/config.js";
import type { smsSlice } from "./sms/config.js";
import type { outboxSlice } from "./core/outbox/config.js";

/**
 * The built-in slices. Each slice's file adds its key to the app-facing config type (declaration merging);
 * naming them here, in a module the package's entry re-exports, makes the published types load those files.
 */
export type BuiltinConfigSlices = [
  typeof mailSlice,
  typeof outboxSlice,
  typeof smsSlice,
  typeof totpSlice,
  typeof registrationSlice,
  typeof confirmationSlice,
  typeof recoverySlice,
  typeof changePasswordSlice,
  typeof changeEmailSlice,
  typeof usernameFeaturesSlice,
  typeof profileSlice,
  typeof unifiedSigninSlice,
  typeof twoFactorSlice,
];

export interface EnvConfigOptions {
  /** The app's own features: their slices' environment names are read too. */
  features?: readonly Feature[];
  /** Other variables the app reads itself, so SECURITY_* names among them are not reported as unknown. */
  ignore?: readonly string[];
}

/**
 * Reads the configuration from environment variables (Flask-Security's names where one exists; see
 * docs/configuration.md). Returns the input for `createRampart({ config })` and every problem found while
 * reading (unknown SECURITY_* names, unreadable values) — hand both to `resolveConfig` to have them reported
 * together with the validation's. NODE_ENV=development turns development mode on unless RAMPART_DEVELOPMENT
 * says otherwise, as the server does.
 */
export function configFromEnv(
  env: Record<string, string | undefined> = process.env,
  options: EnvConfigOptions = {},
): { config: RampartConfigInput; issues: ConfigIssue[] } {
  const slices = configSlices([...builtinFeatures, ...(options.features ?? [])]);
  const { config, issues } = readEnv(env, [...(options.ignore ?? [])], slices);
  if (env.RAMPART_DEVELOPMENT === undefined && env.NODE_ENV === "development") config.development = true;
  return { config, issues };
}

/**
 * Validates a config input as createRampart does — every slice known, every problem (and `issues`, e.g. from
 * configFromEnv) reported together in one ConfigError — and returns the resolved, frozen config.
 */
export function resolveConfig(
  input: RampartConfigInput,
  issues: ConfigIssue[] = [],
  options: { features?: readonly Feature[] } = {},
): RampartConfig {
  return resolveWith(input, issues, configSlices([...builtinFeatures, ...(options.features ?? [])]));
}
