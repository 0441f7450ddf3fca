/**
 * The standalone server behind `rampart serve`: Rampart configured only by environment variables (Flask-Security
 * names), serving `demoApp` over node:http through @hono/node-server.
 *
 * - DATABASE_URL (default: embedded SQLite file ./rampart.db). An unmigrated database is refused
 *   ("run: rampart migrate"), except SQLite in development mode, which migrates itself.
 * - REDIS_URL: sessions live in Redis instead of the database.
 * - Development mode (RAMPART_DEVELOPMENT=true, or NODE_ENV=development): without SECRET_KEY a key is generated
 *   once and kept in `<sqlite file>.secret` (mode 0600), reused on later starts, with a loud warning.
 *   Outside development a missing SECRET_KEY is a ConfigError.
 */
import type { AddressInfo } from "node:net";
import { serve, type HttpBindings, type ServerType } from "@hono/node-server";
import type { Rampart } from "../create-rampart.js";
import { attachRemoteAddress } from "../core/context.js";
import type { Logger } from "../core/runtime.js";
import { randomToken } from "../crypto/random.js";
import {
  connectRedisSessions,
  databaseUrl,
  ensureSecretFile,
  isDevelopment,
  type ClosableSessionStore,
  openRampart,
  parseUrlOrExit,
  redactUrl,
  secretFilePath,
  sqliteFile,
  type Env,
} from "../cli/context.js";
import { CliError, EXIT_UNEXPECTED } from "../cli/errors.js";
import { demoApp } from "./demo-app.js";

export interface StandaloneOptions {
  env: Env;
  port: number;
  host: string;
  /** Where the server's own lines go (default: stdout / stderr). */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  rampart: Rampart;
  server: ServerType;
  /** Stops accepting connections, waits for open ones (up to `graceMs`), then closes Rampart and Redis. */
  close(graceMs?: number): Promise<void>;
}

function banner(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const rule = "!".repeat(width);
  return [rule, ...lines.map((l) => `! ${l.padEnd(width - 4)} !`), rule].join("\n");
}

function displayUrl(host: string, port: number): string {
  const shown = host.includes(":") ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

/** The SECRET_KEY to use, generating/persisting one in development mode. Undefined: let validation refuse. */
function resolveSecret(env: Env, url: string, development: boolean, warn: (text: string) => void): string | undefined {
  if (env.SECRET_KEY) return env.SECRET_KEY;
  if (!development) return undefined;
  const path = secretFilePath(parseUrlOrExit(url));
  if (!path) {
    warn(
      banner([
        "DEVELOPMENT MODE: SECRET_KEY is not set.",
        "Using a random key for this process only (the database is not a SQLite file, so",
        "it is not saved): sessions and tokens die on restart.",
        "NEVER run production like this: set SECRET_KEY (generate one: rampart secrets generate).",
      ]),
    );
    return randomToken(32);
  }
  const { secret, created } = ensureSecretFile(path);
  warn(
    banner([
      "DEVELOPMENT MODE: SECRET_KEY is not set.",
      created
        ? `Generated a SECRET_KEY and saved it to ${path} (mode 0600);`
        : `Using the SECRET_KEY saved in ${path};`,
      "it is reused on every start against this database.",
      "NEVER run production like this: set SECRET_KEY (generate one: rampart secrets generate).",
    ]),
  );
  return secret;
}

function listen(
  fetch: Parameters<typeof serve>[0]["fetch"],
  port: number,
  host: string,
): Promise<{ server: ServerType; info: AddressInfo }> {
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined;
    const onError = (err: NodeJS.ErrnoException) => {
      const why =
        err.code === "EADDRINUSE"
          ? "the address is already in use"
          : err.code === "EACCES"
            ? "permission denied"
            : err.message;
      reject(new CliError(`cannot listen on ${displayUrl(host, port)}: ${why}`, EXIT_UNEXPECTED));
    };
    server = serve({ fetch, port, hostname: host }, (info) => {
      server!.off("error", onError);
      resolve({ server: server!, info });
    });
    server.once("error", onError);
  });
}

export async function startStandaloneServer(options: StandaloneOptions): Promise<RunningServer> {
  const { env } = options;
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  const logger: Logger = {
    info: (m) => out(`[rampart] ${m}`),
    warn: (m) => err(`[rampart] ${m}`),
    error: (m, e) =>
      err(`[rampart] ${m}${e instanceof Error ? `: ${e.stack ?? e.message}` : e !== undefined ? ` ${String(e)}` : ""}`),
  };
  const development = isDevelopment(env);
  const url = databaseUrl(env);
  const parsed = parseUrlOrExit(url);
  const secretKey = resolveSecret(env, url, development, err);

  let sessionStore: ClosableSessionStore | undefined;
  const redisUrl = env.REDIS_URL?.trim();
  if (redisUrl) {
    sessionStore = await connectRedisSessions(redisUrl, env);
    out(`[rampart] Sessions: Redis at ${redactUrl(redisUrl)} (REDIS_URL).`);
  }

  let rampart: Rampart;
  try {
    rampart = await openRampart(env, url, {
      secretKey,
      migrations: development && parsed.dialect === "sqlite" ? "auto" : "check",
      logger,
      outboxSender: true,
      onMigrated: (applied) =>
        out(`[rampart] Development mode: applied migration(s) ${applied.join(", ")} to the SQLite database.`),
      ...(sessionStore ? { sessionStore } : {}),
    });
  } catch (e) {
    await sessionStore?.close?.().catch(() => undefined);
    throw e;
  }

  let hasUsers: boolean;
  try {
    hasUsers = (await rampart.api.listUsers({ limit: 1 })).length > 0;
  } catch (e) {
    await rampart.close().catch(() => undefined);
    await sessionStore?.close?.().catch(() => undefined);
    throw e;
  }

  const app = demoApp(rampart);
  let server: ServerType;
  let info: AddressInfo;
  try {
    ({ server, info } = await listen(
      (request, bindings) => {
        const incoming = (bindings as HttpBindings | undefined)?.incoming;
        attachRemoteAddress(request, incoming?.socket?.remoteAddress);
        return app(request);
      },
      options.port,
      options.host,
    ));
  } catch (e) {
    await rampart.close().catch(() => undefined);
    await sessionStore?.close?.().catch(() => undefined);
    throw e;
  }

  const where = sqliteFile(parsed);
  out(
    `[rampart] Database: ${where ? `SQLite file ${where}` : redactUrl(url)}${development ? " (development mode)" : ""}`,
  );
  if (!hasUsers) {
    out(
      [
        "No users yet. Create the first one (same DATABASE_URL as this server):",
        "  npx rampart roles create admin",
        "  npx rampart users create you@example.com --password … --active --role admin",
      ].join("\n"),
    );
  }
  // Printed last: the line that tells people (and scripts) the server is ready.
  const listenUrl = displayUrl(options.host, info.port);
  out(`Rampart listening on ${listenUrl}`);

  let closing: Promise<void> | undefined;
  return {
    url: listenUrl,
    port: info.port,
    rampart,
    server,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            resolve();
          }, graceMs);
          force.unref();
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
        await rampart.close().catch((e: unknown) => logger.error("closing the database failed", e));
        await sessionStore?.close?.().catch((e: unknown) => logger.error("closing Redis failed", e));
      })();
      return closing;
    },
  };
}
