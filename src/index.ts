/**
 * Rampart: authentication and authorization for TypeScript web apps, wire-compatible with Flask-Security-Too.
 *
 * ```ts
 * import { createRampart } from "rampart";
 * const rampart = await createRampart({ config: { secretKey: process.env.SECRET_KEY }, database: process.env.DATABASE_URL });
 * // rampart.fetch(request) serves /login, /logout, /verify, /sessions…; rampart.guards protect your routes.
 * ```
 */
export { createRampart, builtinFeatures, type Rampart, type RampartOptions } from "./create-rampart.js";
export { resolveConfig, configFromEnv, type RampartConfig, type RampartConfigInput } from "./core/config/index.js";
export {
  RampartError,
  RefusalError,
  ConfigError,
  MigrationRequiredError,
  HashQueueFullError,
  DependencyUnavailableError,
  DuplicateError,
  isRampartError,
  type AnyRampartError,
  type RampartErrorCode,
  type ConfigIssue,
} from "./core/errors.js";
export { ApiError } from "./core/api.js";
export { defaultMessages, type MessageKey } from "./core/messages.js";
export type { Api, CreateUserInput, UserRef } from "./core/api.js";
export type { PublicUser, UserFieldSpec, UserFields, UserFieldValues, UserFieldInput, Register, RegisteredUserFields } from "./core/public-user.js";
export type { Guards, Requirement, GuardOutcome } from "./core/authz.js";
export type { Mechanism, Caller } from "./core/identity.js";
export type { RampartEvents, EventName, Hooks, HookVeto, HookInput, HookedAction } from "./core/events.js";
export type { Feature } from "./core/feature.js";
export type { RouteDef, RouteAuth } from "./core/routes.js";
export type { SignInCheck, SignInAttempt, CheckOutcome } from "./core/sign-in.js";
export type { Logger, UserSerializer } from "./core/runtime.js";
export { attachRemoteAddress } from "./core/context.js";
export { openDatastore } from "./datastore/open.js";
export { RedisSessionStore } from "./datastore/redis-sessions.js";
export type * from "./datastore/contracts.js";
export { createPasswordHasher, type PasswordHasher, type PasswordHashingOptions } from "./core/password-hasher.js";
