import { sliceOf, type ConfigSlice } from "../core/config/slice.js";
import type { RampartConfig } from "../core/config/index.js";
import type { Feature } from "../core/feature.js";
import { changeEmailSlice } from "./change-email/config.js";
import { changePasswordSlice } from "./change-password/config.js";
import { confirmationSlice } from "./confirmation/config.js";
import { profileSlice } from "./profile/config.js";
import { recoverySlice } from "./recovery/config.js";
import { registrationSlice } from "./registration/config.js";
import { twoFactorSlice } from "./two-factor/config.js";
import { unifiedSigninSlice } from "./unified-signin/config.js";
import { usernameFeaturesSlice } from "./username/config.js";

/**
 * A built-in feature as the composition root sees it before loading it: its config slice (needed to resolve
 * the configuration) and whether a configuration switches it on. Its code — routes, pages, mail, and the
 * libraries they use — is imported only when it is on, so `import "rampart"` and a minimal app stay cheap.
 * `enabled` must agree with the loaded feature's own `enabled` (test/builtin-features.test.ts checks it).
 */
export interface BuiltinFeature {
  name: string;
  config?: ConfigSlice;
  enabled(config: RampartConfig): boolean;
  load(): Promise<Feature>;
}

const always = () => true;

export const builtinFeatures: readonly BuiltinFeature[] = [
  { name: "login", enabled: always, load: async () => (await import("./login/index.js")).loginFeature },
  { name: "sessions", enabled: always, load: async () => (await import("./sessions/index.js")).sessionsFeature },
  {
    name: "registration",
    config: registrationSlice,
    enabled: (c) => sliceOf(c, registrationSlice).enabled,
    load: async () => (await import("./registration/index.js")).registrationFeature,
  },
  {
    name: "confirmation",
    config: confirmationSlice,
    enabled: (c) => sliceOf(c, confirmationSlice).enabled,
    load: async () => (await import("./confirmation/index.js")).confirmationFeature,
  },
  {
    name: "recovery",
    config: recoverySlice,
    enabled: (c) => sliceOf(c, recoverySlice).enabled,
    load: async () => (await import("./recovery/index.js")).recoveryFeature,
  },
  {
    name: "change-password",
    config: changePasswordSlice,
    enabled: (c) => sliceOf(c, changePasswordSlice).enabled,
    load: async () => (await import("./change-password/index.js")).changePasswordFeature,
  },
  {
    name: "change-email",
    config: changeEmailSlice,
    enabled: (c) => sliceOf(c, changeEmailSlice).enable,
    load: async () => (await import("./change-email/index.js")).changeEmailFeature,
  },
  {
    name: "username",
    config: usernameFeaturesSlice,
    enabled: (c) => c.username.enable && (sliceOf(c, usernameFeaturesSlice).changeUsername || sliceOf(c, usernameFeaturesSlice).recovery),
    load: async () => (await import("./username/index.js")).usernameFeature,
  },
  { name: "profile", config: profileSlice, enabled: always, load: async () => (await import("./profile/index.js")).profileFeature },
  // Last: its check asks for a second factor only after every other check (active, confirmed…) has passed.
  {
    name: "unified-signin",
    config: unifiedSigninSlice,
    enabled: (c) => sliceOf(c, unifiedSigninSlice).enabled,
    load: async () => (await import("./unified-signin/index.js")).unifiedSigninFeature,
  },
  {
    name: "two-factor",
    config: twoFactorSlice,
    enabled: (c) => sliceOf(c, twoFactorSlice).enabled,
    load: async () => (await import("./two-factor/index.js")).twoFactorFeature,
  },
];

/** Every built-in feature loaded (tests, tools that need all routes). */
export function loadAllBuiltinFeatures(): Promise<Feature[]> {
  return Promise.all(builtinFeatures.map((f) => f.load()));
}
