/**
 * Rampart: authentication and authorization for TypeScript web apps, wire-compatible with Flask-Security-Too.
 *
 * ```ts
 * import { createRampart } from "rampart";
 * const rampart = await createRampart({ config: { secretKey: process.env.SECRET_KEY }, database: process.env.DATABASE_URL });
 * // rampart.fetch(request) serves /login, /logout, /verify, /sessions…; rampart.guards protect your routes.
 * ```
 */
import type { Rampart, RampartOptions } from "./create-rampart.js";
import type { UserFields } from "./core/public-user.js";
import type { Datastore } from "./datastore/contracts.js";
import type { OpenDatastoreOptions } from "./datastore/open.js";

export type { Rampart, RampartOptions } from "./create-rampart.js";

/**
 * Resolves the configuration, opens the datastore and composes the enabled features. The composition (routes,
 * pages, the features switched on, database drivers) is imported on this first call, not by `import "rampart"`.
 */
export async function createRampart<const F extends UserFields = {}>(options: RampartOptions<F>): Promise<Rampart<F>> {
  return (await import("./create-rampart.js")).createRampart(options);
}

/** Opens (and, for a new SQLite file, creates) the datastore behind a DATABASE_URL-style string. */
export async function openDatastore(url: string, options?: OpenDatastoreOptions): Promise<Datastore> {
  return (await import("./datastore/open.js")).openDatastore(url, options);
}
export { type RampartConfig, type RampartConfigInput, type RampartConfigSlices } from "./core/config/index.js";
export { resolveConfig, configFromEnv, type EnvConfigOptions } from "./load-config.js";
export {
  RampartError,
  RefusalError,
  ConfigError,
  MigrationRequiredError,
  HashQueueFullError,
  DependencyUnavailableError,
  DuplicateError,
  ApiError,
  isRampartError,
  type AnyRampartError,
  type RampartErrorCode,
  type ConfigIssue,
} from "./core/errors.js";
export { type MessageKey } from "./core/messages.js";
export { defaultMessages } from "./features/builtin.js";
export type { Api, CreateUserInput, UserRef } from "./core/api.js";
export type {
  PublicUser,
  UserFieldSpec,
  UserFields,
  UserFieldValues,
  UserFieldInput,
  Register,
  RegisteredUserFields,
} from "./core/public-user.js";
export type { Guards, Requirement, GuardOutcome, MethodRules, SafeMethod } from "./core/authz.js";
export type { Mechanism, Caller } from "./core/identity.js";
export type { RampartEvents, EventName, Hooks, HookVeto, HookInput, HookedAction } from "./core/events.js";
export type { AuditEvent, AuditEvents } from "./core/audit.js";
export type { AuthnMethod, AuthnMethods, SecondFactorMethod, SecondFactorMethods } from "./core/methods.js";
export type { AppFeature as Feature } from "./core/feature.js";
export type { SignInCheck, SignInAttempt, CheckOutcome } from "./core/sign-in.js";
export type { Logger, UserSerializer } from "./core/runtime.js";
export type { ClockReading } from "./core/clock-skew.js";
export { attachRemoteAddress } from "./core/context.js";
export { RedisSessionStore } from "./datastore/redis-sessions.js";
export type * from "./datastore/contracts.js";
export { createPasswordHasher, type PasswordHasher, type PasswordHashingOptions } from "./core/password-hasher.js";
