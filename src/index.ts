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
export { type RampartConfig, type RampartConfigInput, type RampartConfigSlices } from "./core/config/index.js";
export { resolveConfig, configFromEnv, type EnvConfigOptions } from "./load-config.js";
export { RampartError, ConfigError, MigrationRequiredError, HashQueueFullError, DependencyUnavailableError, type ConfigIssue } from "./core/errors.js";
export { type MessageKey } from "./core/messages.js";
export { defaultMessages } from "./create-rampart.js";
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
export { DuplicateError } from "./datastore/contracts.js";
export type * from "./datastore/contracts.js";
export { createPasswordHasher, type PasswordHasher, type PasswordHashingOptions } from "./crypto/passwords/index.js";
