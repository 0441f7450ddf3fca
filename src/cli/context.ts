/**
 * What every command shares: reading the environment (Flask-Security names, via configFromEnv), locating the
 * database (DATABASE_URL, default the embedded SQLite file ./rampart.db), the development-mode secret file
 * next to it, and opening/closing a Rampart around one command.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createRampart, type Rampart, type RampartOptions } from "../create-rampart.js";
import type { RampartConfigInput } from "../core/config/index.js";
import { configFromEnv, resolveConfig } from "../load-config.js";
import { runtimeOf } from "../internal.js";
import { developmentFromEnv } from "../core/development.js";
import type { Logger } from "../core/runtime.js";
import { randomToken } from "../crypto/random.js";
import type { Datastore, SessionStore } from "../datastore/contracts.js";
import { databaseOptionsOf, openDatastore, parseDatabaseUrl, type ParsedDatabaseUrl } from "../datastore/open.js";
import { redisSlice } from "../core/config/dependency-slice.js";
import { featureMigrations } from "../features/builtin.js";
import { CliError, describeError, EXIT_UNEXPECTED, EXIT_USAGE } from "./errors.js";

export type Env = Record<string, string | undefined>;

export const DEFAULT_DATABASE_URL = "sqlite://./rampart.db";

export function databaseUrl(env: Env): string {
  const url = env.DATABASE_URL?.trim();
  return url ? url : DEFAULT_DATABASE_URL;
}

export function parseUrlOrExit(url: string): ParsedDatabaseUrl {
  try {
    return parseDatabaseUrl(url);
  } catch (err) {
    throw new CliError(`DATABASE_URL: ${err instanceof Error ? err.message : String(err)}`, EXIT_USAGE);
  }
}

/** Development mode: RAMPART_DEVELOPMENT=true, or NODE_ENV=development when RAMPART_DEVELOPMENT is unset. */
export function isDevelopment(env: Env): boolean {
  return developmentFromEnv(env).development;
}

/** The SQLite file behind a database URL, or null (in-memory SQLite, PostgreSQL, MySQL). */
export function sqliteFile(parsed: ParsedDatabaseUrl): string | null {
  return parsed.dialect === "sqlite" && parsed.path !== ":memory:" ? parsed.path : null;
}

/** Where development mode keeps its generated SECRET_KEY: `<db file>.secret`. */
export function secretFilePath(parsed: ParsedDatabaseUrl): string | null {
  const file = sqliteFile(parsed);
  return file ? `${file}.secret` : null;
}

export function readSecretFile(path: string): string | null {
  try {
    const value = readFileSync(path, "utf8").trim();
    return value || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/**
 * Reads the development secret at `path`, or creates it (32 random bytes, base64url, mode 0600). Creation uses
 * an exclusive open so two processes starting together agree on one secret.
 */
export function ensureSecretFile(path: string): { secret: string; created: boolean } {
  const existing = readSecretFile(path);
  if (existing) return { secret: existing, created: false };
  const secret = randomToken(32);
  try {
    writeFileSync(path, secret + "\n", { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
    return { secret, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      const raced = readSecretFile(path);
      if (raced) return { secret: raced, created: false };
    }
    throw new CliError(`cannot write the development secret file ${path}: ${(err as Error).message}`, 1);
  }
}

/** The config input from the environment, plus the problems found while reading it: the public loader, as is. */
export function envConfig(env: Env): { config: RampartConfigInput; issues: { key: string; message: string }[] } {
  const { config, issues } = configFromEnv(env);
  // Decided from this env, never left for createRampart to read from process.env.
  if (config.development === undefined) config.development = isDevelopment(env);
  return { config, issues };
}

/** Hides the password of a URL for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/** Quiet logger for one-shot commands: info is dropped, warnings and errors go to stderr (one line each). */
export const commandLogger: Logger = {
  info: () => undefined,
  warn: (m) => console.error(`[rampart] ${m}`),
  error: (m, e) => console.error(`[rampart] ${m}${e instanceof Error ? `: ${e.message}` : ""}`),
};

export interface OpenOptions {
  migrations: "auto" | "check";
  /** Undefined lets validation refuse with the ConfigError naming SECRET_KEY. */
  secretKey: string | undefined;
  sessionStore?: RampartOptions["sessionStore"];
  logger?: Logger;
  /** Poll the outbox (the server); one-shot commands leave the queued mail to it. */
  outboxSender?: boolean;
  /** With migrations "auto": told the names of the migrations applied (none: not called). */
  onMigrated?: (applied: string[]) => void;
}

/**
 * Validates the configuration (every problem at once, env-reading ones included), opens the datastore and
 * creates Rampart on it. The datastore is closed again when anything fails.
 */
export async function openRampart(env: Env, url: string, options: OpenOptions): Promise<Rampart> {
  const { config, issues } = envConfig(env);
  const input: RampartConfigInput = { ...config };
  if (options.secretKey !== undefined) input.secretKey = options.secretKey;
  const resolved = resolveConfig(input, issues);
  parseUrlOrExit(url);
  let datastore: Datastore | undefined;
  try {
    datastore = await openDatastore(url, databaseOptionsOf(resolved.database));
    if (options.migrations === "auto") {
      const applied = await datastore.migrations.migrateToLatest(await featureMigrations());
      if (applied.length) options.onMigrated?.(applied);
    }
    const rampart = await createRampart({
      config: input,
      database: datastore,
      migrations: options.migrations,
      logger: options.logger ?? commandLogger,
      outboxSender: options.outboxSender ?? false,
      ...(options.sessionStore ? { sessionStore: options.sessionStore } : {}),
      // Also the default Redis of rate-limit counters (RATE_LIMIT_STORE=redis).
      ...(env.REDIS_URL?.trim() ? { redisUrl: env.REDIS_URL.trim() } : {}),
    });
    return rampart;
  } catch (err) {
    await datastore?.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The SECRET_KEY for one-shot commands. They sign nothing the server verifies (users, roles, audit), so when
 * SECRET_KEY is unset they reuse the development secret file when there is one, else a throwaway key: the
 * admin commands then work with only DATABASE_URL set. The password salt still comes from the environment.
 */
export function commandSecret(env: Env, url: string): string {
  if (env.SECRET_KEY) return env.SECRET_KEY;
  const path = secretFilePath(parseUrlOrExit(url));
  return (path && readSecretFile(path)) || randomToken(32);
}

/** Session store closable on shutdown (the Redis one is). */
export type ClosableSessionStore = SessionStore & { close?(): Promise<void> };

/**
 * The Redis session store for REDIS_URL, checked to answer, with the RAMPART_REDIS_* bounds of `env` (a bad value
 * falls back to the defaults here; opening Rampart then reports it).
 */
export async function connectRedisSessions(url: string, env: Env = {}): Promise<ClosableSessionStore> {
  const { RedisSessionStore } = await import("../datastore/redis-sessions.js");
  const bounds = redisSlice.safeParse(configFromEnv(env).config.redis ?? {});
  const store = RedisSessionStore.connect(url, bounds.success ? bounds.data : {});
  try {
    await store.findById("rampart-startup-probe");
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new CliError(
      `cannot reach Redis at REDIS_URL ${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`,
      EXIT_UNEXPECTED,
    );
  }
  return store;
}

/**
 * Opens Rampart from the environment (migrations checked), runs `fn`, and closes it. With REDIS_URL the
 * commands use the Redis session store too, so what they end or mark (password change, reset-access,
 * deactivation, role changes) reaches the sessions the server keeps there.
 */
export async function withRampart<T>(fn: (rampart: Rampart) => Promise<T>, env: Env = process.env): Promise<T> {
  const url = databaseUrl(env);
  const secretKey = commandSecret(env, url);
  const redisUrl = env.REDIS_URL?.trim();
  const sessionStore = redisUrl ? await connectRedisSessions(redisUrl, env) : undefined;
  let rampart: Rampart;
  try {
    rampart = await openRampart(env, url, {
      migrations: "check",
      secretKey,
      ...(sessionStore ? { sessionStore } : {}),
    });
  } catch (err) {
    await sessionStore?.close?.().catch(() => undefined);
    throw err;
  }
  try {
    return await fn(rampart);
  } catch (err) {
    // Message keys (password policy…) become text while the runtime that knows them is still at hand.
    const described = describeError(err, (code, params) => runtimeOf(rampart).message(code, params));
    if (described.exitCode === EXIT_USAGE && !(err instanceof CliError))
      throw new CliError(described.message, EXIT_USAGE);
    throw err;
  } finally {
    await rampart.close().catch(() => undefined);
    await sessionStore?.close?.().catch(() => undefined);
  }
}
