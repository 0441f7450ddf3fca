import type { ClockSkewMonitor } from "./clock-skew.js";
import type { DeferredWork } from "./deferred.js";
import type { Outbox } from "./outbox/outbox.js";
import type { Datastore, SessionStore, UserRecord } from "../datastore/contracts.js";
import type { PasswordHasher } from "../crypto/passwords/index.js";
import type { TokenSigner } from "../crypto/signed-token.js";
import type { RampartConfig } from "./config/index.js";
import type { EventBus, Hooks } from "./events.js";
import type { MessageKey } from "./messages.js";
import type { SignInPipeline } from "./sign-in.js";
import type { Services } from "./services.js";
import type { Mailer } from "../mail/types.js";
import type { UserFieldSpec } from "./public-user.js";
import type { Limits } from "./limits/limits.js";

export type { UserFieldSpec } from "./public-user.js";

/** Serializes the user into `response.user` (Flask-Security's get_security_payload). */
export type UserSerializer = (user: UserRecord) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/** Everything a request handler needs, built once by createRampart and shared by all requests. */
export interface Runtime {
  readonly config: RampartConfig;
  readonly datastore: Datastore;
  /** Where sessions live: the datastore's table, or Redis. */
  readonly sessions: SessionStore;
  readonly hasher: PasswordHasher;
  /** Rate limits and lockout counters (core/limits), on the configured store. */
  readonly limits: Limits;
  readonly signer: TokenSigner;
  readonly events: EventBus;
  readonly hooks: Hooks;
  readonly pipeline: SignInPipeline;
  readonly serializeUser: UserSerializer;
  readonly mailer: Mailer;
  /** Work that runs after the answer (core/deferred.ts); `close()` drains it. */
  readonly deferred: DeferredWork;
  /** Mail and SMS, written to the database and sent after the answer (core/outbox); `close()` stops it. */
  readonly outbox: Outbox;
  /** What enabled features offer each other (filled at composition, then frozen). */
  readonly services: Services;
  readonly userFields: Readonly<Record<string, UserFieldSpec>>;
  readonly logger: Logger;
  /** Current time; tests move it. */
  now(): Date;
  /** This instance's clock against the database's (core/clock-skew.ts): the last skew and a corrected time. */
  readonly clockSkew: ClockSkewMonitor;
  message(key: MessageKey | string, params?: Record<string, string | number>): string;
  /** Prefixes a Rampart route path with config.urlPrefix. */
  url(path: string): string;
}
