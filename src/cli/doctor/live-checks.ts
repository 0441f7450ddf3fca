/**
 * Checks that need the deployment itself: the database (reachable, migrated), Redis (reachable, persistent), the
 * SMTP server (accepts a session) and, given `--url`, what a browser receives from the running app.
 */
import { createRequire } from "node:module";
import type { RampartConfig } from "../../core/config/index.js";
import type { Datastore } from "../../datastore/contracts.js";
import { openDatastore } from "../../datastore/open.js";
import { featureMigrations } from "../../features/builtin.js";
import { mailSlice } from "../../mail/index.js";
import { transportFromConfig } from "../../mail/mailer.js";
import { sliceOf } from "../../core/config/index.js";
import { redactUrl } from "../context.js";
import type { Finding } from "./findings.js";

const require = createRequire(import.meta.url);
const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Gives up on `promise` after `ms`: a hung dependency is itself a finding, not a hung doctor. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function databaseFindings(
  url: string,
  timeoutMs: number,
  skewThresholdSeconds: number,
): Promise<Finding[]> {
  let datastore;
  try {
    datastore = await within(openDatastore(url), timeoutMs, "the database");
    const pending = await within(datastore.migrations.pending(await featureMigrations()), timeoutMs, "the database");
    const skew = await clockFinding(datastore, skewThresholdSeconds, timeoutMs);
    if (skew) return [skew, ...migrationFindings(pending, url)];
    return migrationFindings(pending, url);
  } catch (error) {
    return [
      {
        severity: "error",
        id: "database-unreachable",
        subject: `database ${redactUrl(url)}`,
        message: `cannot use the database: ${reason(error)}`,
      },
    ];
  } finally {
    await datastore?.close().catch(() => undefined);
  }
}

/**
 * This machine's clock against the database's, the one clock every instance shares: beyond the threshold, tokens
 * minted here live longer or shorter by the skew and authenticator codes are judged on the database's time.
 */
export async function clockFinding(
  datastore: Datastore,
  thresholdSeconds: number,
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<Finding | null> {
  const before = now();
  const dbNow = await within(datastore.now(), timeoutMs, "the database");
  const after = now();
  const skewMs = (before + after) / 2 - dbNow.getTime();
  if (Math.abs(skewMs) <= thresholdSeconds * 1000) return null;
  return {
    severity: "warning",
    id: "clock-skew",
    subject: "clock (RAMPART_CLOCK_SKEW_THRESHOLD)",
    message: `this machine's clock is ${(Math.abs(skewMs) / 1000).toFixed(1)} s ${skewMs > 0 ? "ahead of" : "behind"} the database's`,
    fix: "keep every instance and the database on NTP",
  };
}

function migrationFindings(pending: string[], url: string): Finding[] {
  if (pending.length === 0) return [];
  return [
    {
      severity: "error",
      id: "migrations-pending",
      subject: `database ${redactUrl(url)}`,
      message: `${pending.length} migration(s) not applied (${pending.join(", ")}): the server refuses to start`,
      fix: "rampart migrate",
    },
  ];
}

export async function redisFindings(url: string, uses: string[], timeoutMs: number): Promise<Finding[]> {
  const { Redis } = require("ioredis") as typeof import("ioredis");
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  const subject = `Redis ${redactUrl(url)} (${uses.join(", ")})`;
  try {
    await client.connect();
    let appendonly: string | null = null;
    let save: string | null = null;
    try {
      appendonly = ((await client.config("GET", "appendonly")) as string[])[1] ?? null;
      save = ((await client.config("GET", "save")) as string[])[1] ?? null;
    } catch {
      return [
        {
          severity: "info",
          id: "redis-persistence-unknown",
          subject,
          message: "CONFIG GET is not allowed here: could not check that Redis keeps its data over a restart",
        },
      ];
    }
    if (appendonly !== "yes" && !save?.trim())
      return [
        {
          severity: "warning",
          id: "redis-not-persistent",
          subject,
          message:
            "Redis keeps nothing over a restart (no AOF, no RDB snapshots): a restart signs every user out and forgets every rate-limit counter and lock held there",
          fix: "enable appendonly yes (or RDB snapshots) on this Redis",
        },
      ];
    return [];
  } catch (error) {
    return [{ severity: "error", id: "redis-unreachable", subject, message: `cannot reach Redis: ${reason(error)}` }];
  } finally {
    client.disconnect();
  }
}

export async function mailFindings(config: RampartConfig, timeoutMs: number): Promise<Finding[]> {
  const mail = sliceOf(config, mailSlice);
  if (mail.suppressSend)
    return [
      {
        severity: "info",
        id: "mail-suppressed",
        subject: "mail.suppressSend (MAIL_SUPPRESS_SEND)",
        message: "no mail is ever sent",
      },
    ];
  if (!mail.server && mail.transport !== "console")
    return [
      {
        severity: config.development ? "info" : "warning",
        id: "mail-not-configured",
        subject: "mail.server (MAIL_SERVER)",
        message: "no SMTP server is configured: confirmation, reset and sign-in mail is not sent",
        fix: "set MAIL_SERVER, MAIL_PORT and credentials",
      },
    ];
  const transport = transportFromConfig(mail, quietLogger, config.development);
  if (!transport.verify) return [];
  try {
    await within(transport.verify(), timeoutMs, "the SMTP server");
    return [];
  } catch (error) {
    return [
      {
        severity: "error",
        id: "smtp-unreachable",
        subject: `SMTP ${mail.server}:${mail.port}`,
        message: `the mail server does not accept a session: ${reason(error)}`,
      },
    ];
  } finally {
    await transport.close?.().catch(() => undefined);
  }
}

/** What a browser gets from the running app: a JSON GET of the login route, sent from a foreign origin. */
export async function urlFindings(base: string, config: RampartConfig, timeoutMs: number): Promise<Finding[]> {
  const out: Finding[] = [];
  const target = new URL(config.urlPrefix + "/login", base.endsWith("/") ? base : base + "/");
  const subject = `live ${target.origin}`;
  let response: Response;
  try {
    response = await fetch(target, {
      headers: { accept: "application/json", origin: "https://rampart-doctor.invalid" },
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
  } catch (error) {
    return [{ severity: "error", id: "url-unreachable", subject, message: `GET ${target} failed: ${reason(error)}` }];
  }
  const https = target.protocol === "https:";
  if (!https)
    out.push({
      severity: "warning",
      id: "plain-http",
      subject,
      message: "the app answers over plain http",
      fix: "serve it over https (pass the public https address to --url)",
    });
  const hsts = response.headers.get("strict-transport-security");
  if (https && !/max-age=(\d+)/.test(hsts ?? ""))
    out.push({ severity: "warning", id: "no-hsts", subject, message: "no Strict-Transport-Security header" });
  const acao = response.headers.get("access-control-allow-origin");
  if (acao === "*" || acao === "https://rampart-doctor.invalid")
    out.push({
      severity: "error",
      id: "cors-any-origin",
      subject,
      message: `a request from an unknown origin was allowed (Access-Control-Allow-Origin: ${acao})`,
      fix: "allow only the SPA's exact origins",
    });
  for (const cookie of response.headers.getSetCookie())
    if (https && !/;\s*secure/i.test(cookie))
      out.push({
        severity: "error",
        id: "live-cookie-not-secure",
        subject,
        message: `cookie ${cookie.split("=")[0]} is set without Secure`,
      });
  if (response.headers.has("x-powered-by"))
    out.push({ severity: "info", id: "x-powered-by", subject, message: "an X-Powered-By header names the server" });
  return out;
}
