import { sliceOf, type ConfigSlice } from "../core/config/slice.js";
import type { RampartConfig } from "../core/config/index.js";
import type { Feature } from "../core/feature.js";
import { qualifyMigrations, type FeatureMigration, type FeatureMigrations } from "../datastore/feature-migrations.js";
import { changeEmailSlice } from "./change-email/config.js";
import { changePasswordSlice } from "./change-password/config.js";
import { confirmationSlice } from "./confirmation/config.js";
import { profileSlice } from "./profile/config.js";
import { recoverySlice } from "./recovery/config.js";
import { registrationSlice } from "./registration/config.js";
import { twoFactorSlice } from "./two-factor/config.js";
import { unifiedSigninSlice } from "./unified-signin/config.js";
import { usernameFeaturesSlice } from "./username/config.js";
import { refreshTokensSlice } from "./refresh-tokens/config.js";
import { refreshTokensMessages } from "./refresh-tokens/messages.js";
import { tokenEndpointSlice } from "./token-endpoint/config.js";
import { webauthnSlice } from "./passkeys/config.js";
import { passkeysMessages } from "./passkeys/messages.js";
import { oauthOn, oauthSlice } from "./oauth/config.js";
import { oauthMessages } from "./oauth/messages.js";
import { loginMessages } from "./login/messages.js";
import { sessionsMessages } from "./sessions/messages.js";
import { registrationMessages } from "./registration/messages.js";
import { confirmationMessages } from "./confirmation/messages.js";
import { recoveryMessages } from "./recovery/messages.js";
import { changePasswordMessages } from "./change-password/messages.js";
import { changeEmailMessages } from "./change-email/messages.js";
import { usernameMessages } from "./username/messages.js";
import { profileMessages } from "./profile/messages.js";
import { unifiedSigninMessages } from "./unified-signin/messages.js";
import { twoFactorMessages } from "./two-factor/messages.js";
import { tokenEndpointMessages } from "./token-endpoint/messages.js";
import { coreMessages, type MessageKey } from "../core/messages.js";
import { totpSlice } from "../kit/passcodes/config.js";
import { mailSlice } from "../mail/config.js";
import { smsSlice } from "../sms/config.js";
import { outboxSlice } from "../core/outbox/config.js";

/**
 * A built-in feature as the composition root sees it before loading it: its config slice (needed to resolve
 * the configuration) and whether a configuration switches it on. Its code — routes, pages, mail, and the
 * libraries they use — is imported only when it is on, so `import "rampart"` and a minimal app stay cheap.
 * `enabled` must agree with the loaded feature's own `enabled` (test/builtin-features.test.ts checks it).
 */
export interface BuiltinFeature {
  name: string;
  config?: ConfigSlice;
  /** Its message texts (known before loading: any feature's key may be rendered by another). */
  messages: Record<string, string>;
  enabled(config: RampartConfig): boolean;
  load(): Promise<Feature>;
  /** Its migrations (imported on demand: they are needed on or off, its code only when on). */
  migrations?(): Promise<Record<string, FeatureMigration>>;
}

const always = () => true;

export const builtinFeatures: readonly BuiltinFeature[] = [
  {
    name: "login",
    messages: loginMessages,
    enabled: always,
    load: async () => (await import("./login/index.js")).loginFeature,
  },
  {
    name: "sessions",
    messages: sessionsMessages,
    enabled: always,
    load: async () => (await import("./sessions/index.js")).sessionsFeature,
  },
  {
    name: "registration",
    messages: registrationMessages,
    config: registrationSlice,
    enabled: (c) => sliceOf(c, registrationSlice).enabled,
    load: async () => (await import("./registration/index.js")).registrationFeature,
  },
  {
    name: "confirmation",
    messages: confirmationMessages,
    config: confirmationSlice,
    enabled: (c) => sliceOf(c, confirmationSlice).enabled,
    load: async () => (await import("./confirmation/index.js")).confirmationFeature,
  },
  {
    name: "recovery",
    messages: recoveryMessages,
    config: recoverySlice,
    enabled: (c) => sliceOf(c, recoverySlice).enabled,
    load: async () => (await import("./recovery/index.js")).recoveryFeature,
  },
  {
    name: "change-password",
    messages: changePasswordMessages,
    config: changePasswordSlice,
    enabled: (c) => sliceOf(c, changePasswordSlice).enabled,
    load: async () => (await import("./change-password/index.js")).changePasswordFeature,
  },
  {
    name: "change-email",
    messages: changeEmailMessages,
    config: changeEmailSlice,
    enabled: (c) => sliceOf(c, changeEmailSlice).enable,
    load: async () => (await import("./change-email/index.js")).changeEmailFeature,
  },
  {
    name: "username",
    messages: usernameMessages,
    config: usernameFeaturesSlice,
    enabled: (c) =>
      c.username.enable &&
      (sliceOf(c, usernameFeaturesSlice).changeUsername || sliceOf(c, usernameFeaturesSlice).recovery),
    load: async () => (await import("./username/index.js")).usernameFeature,
  },
  {
    name: "jwks",
    messages: {},
    enabled: (c) => c.token.format === "jwt" || c.token.jwt.keys !== null || c.token.jwt.keysFile !== null,
    load: async () => (await import("./jwks/index.js")).jwksFeature,
  },
  {
    name: "profile",
    messages: profileMessages,
    config: profileSlice,
    enabled: always,
    load: async () => (await import("./profile/index.js")).profileFeature,
  },
  {
    name: "refresh-tokens",
    messages: refreshTokensMessages,
    config: refreshTokensSlice,
    enabled: (c) => sliceOf(c, refreshTokensSlice).enabled,
    load: async () => (await import("./refresh-tokens/index.js")).refreshTokensFeature,
    migrations: async () => (await import("./refresh-tokens/migrations/index.js")).refreshTokensMigrations,
  },
  {
    name: "passkeys",
    messages: passkeysMessages,
    config: webauthnSlice,
    enabled: (c) => sliceOf(c, webauthnSlice).enabled,
    load: async () => (await import("./passkeys/index.js")).passkeysFeature,
    migrations: async () => (await import("./passkeys/migrations/index.js")).passkeysMigrations,
  },
  {
    name: "oauth",
    messages: oauthMessages,
    config: oauthSlice,
    enabled: (c) => oauthOn(sliceOf(c, oauthSlice)),
    load: async () => (await import("./oauth/index.js")).oauthFeature,
    migrations: async () => (await import("./oauth/migrations/index.js")).oauthMigrations,
  },
  {
    name: "token-endpoint",
    messages: tokenEndpointMessages,
    config: tokenEndpointSlice,
    enabled: (c) => sliceOf(c, tokenEndpointSlice).enable,
    load: async () => (await import("./token-endpoint/index.js")).tokenEndpointFeature,
  },
  // Last: its check asks for a second factor only after every other check (active, confirmed…) has passed.
  {
    name: "unified-signin",
    messages: unifiedSigninMessages,
    config: unifiedSigninSlice,
    enabled: (c) => sliceOf(c, unifiedSigninSlice).enabled,
    load: async () => (await import("./unified-signin/index.js")).unifiedSigninFeature,
  },
  {
    name: "two-factor",
    messages: twoFactorMessages,
    config: twoFactorSlice,
    enabled: (c) => sliceOf(c, twoFactorSlice).enabled,
    load: async () => (await import("./two-factor/index.js")).twoFactorFeature,
  },
];

/** Every built-in feature loaded (tests, tools that need all routes). */
export function loadAllBuiltinFeatures(): Promise<Feature[]> {
  return Promise.all(builtinFeatures.map((f) => f.load()));
}

/** The texts of every message key of Rampart and its built-in features (override any with config `messages`). */
export const defaultMessages = Object.freeze(
  Object.assign({}, coreMessages, ...builtinFeatures.map((f) => f.messages)),
) as Readonly<Record<MessageKey, string>>;

/** A feature as composition first sees it: loaded (an app's) or still to load when enabled (a built-in one). */
export type Declared = Feature | BuiltinFeature;

/** A feature named twice (e.g. an app passing a built-in one) is composed once. */
export function uniqueFeatures<T extends Declared>(features: readonly T[]): T[] {
  return features.filter((f, i, list) => list.findIndex((g) => g.name === f.name) === i);
}

/**
 * Every declared feature's migrations, qualified by feature name (on or off: the schema does not depend on
 * switches, and `rampart migrate`, which reads no configuration, computes the same set).
 */
export async function featureMigrations(features: readonly Declared[] = builtinFeatures): Promise<FeatureMigrations> {
  const out: Record<string, FeatureMigration> = {};
  for (const f of uniqueFeatures(features)) {
    const own = "load" in f ? await f.migrations?.() : f.migrations;
    if (own) Object.assign(out, qualifyMigrations(f.name, own));
  }
  return out;
}

const serviceSlices: ConfigSlice[] = [mailSlice, outboxSlice, smsSlice, totpSlice];

/** Config slices owned outside core/config/slices.ts: shared services' and every feature's (on or off). */
export function configSlices(features: readonly Declared[] = builtinFeatures): ConfigSlice[] {
  return [...serviceSlices, ...uniqueFeatures(features).flatMap((f) => (f.config ? [f.config] : []))];
}
