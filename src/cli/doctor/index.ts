/**
 * `rampart doctor`: reads the configuration the server would run with (the same environment) and, unless
 * --offline, the deployment it points at (database, Redis, SMTP, and the running app given --url), and lists
 * what weakens it. Exit 0 when nothing needs fixing, 3 with warnings, 4 with errors.
 */
import { Command, InvalidArgumentError } from "commander";
import type { RampartConfig } from "../../core/config/index.js";
import { ConfigError } from "../../core/errors.js";
import { keyRingOf } from "../../core/tokens/keys.js";
import { randomToken } from "../../crypto/random.js";
import { resolveConfig } from "../../load-config.js";
import { databaseUrl, envConfig, type Env } from "../context.js";
import { print, table } from "../output.js";
import { configFindings } from "./config-checks.js";
import { exitCodeFor, sortFindings, type Finding } from "./findings.js";
import { databaseFindings, mailFindings, redisFindings, urlFindings } from "./live-checks.js";

export interface DoctorOptions {
  url?: string;
  instances: number;
  offline: boolean;
  timeoutMs: number;
}

export async function runDoctor(env: Env, options: DoctorOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { config: input, issues } = envConfig(env);
  if (!input.secretKey && !input.development) {
    findings.push({
      severity: "error",
      id: "secret-key-missing",
      subject: "secretKey (SECRET_KEY)",
      message: "SECRET_KEY is not set: the server refuses to start",
      fix: "rampart secrets generate",
    });
  }
  // A stand-in where none is given (its absence is reported above, or development makes one), so the other keys
  // can be checked.
  if (!input.secretKey) input.secretKey = randomToken(32);
  let config: RampartConfig;
  try {
    config = resolveConfig(input, issues);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // An invalid configuration is the first finding; nothing else can be judged until it is fixed.
    for (const issue of error.issues)
      findings.push({ severity: "error", id: "invalid-config", subject: issue.key, message: issue.message });
    return sortFindings(findings);
  }
  try {
    // The JWT key set is read at start: one the server would refuse is an error here too.
    keyRingOf(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues)
      findings.push({ severity: "error", id: "jwt-keys", subject: issue.key, message: issue.message });
  }
  const redisUrl = env.REDIS_URL?.trim() || null;
  findings.push(...configFindings(config, { instances: options.instances, redisSessions: redisUrl !== null }));
  if (!options.offline) {
    const live = [
      databaseFindings(databaseUrl(env), options.timeoutMs, config.clock.skewThresholdSeconds),
      mailFindings(config, options.timeoutMs),
    ];
    const limitRedis = config.rateLimit.store === "redis" ? (config.rateLimit.redisUrl ?? redisUrl) : null;
    const redisUses = new Map<string, string[]>();
    if (redisUrl) redisUses.set(redisUrl, ["sessions"]);
    if (limitRedis) redisUses.set(limitRedis, [...(redisUses.get(limitRedis) ?? []), "rate limits"]);
    for (const [url, uses] of redisUses) live.push(redisFindings(url, uses, options.timeoutMs));
    if (options.url) live.push(urlFindings(options.url, config, options.timeoutMs));
    for (const found of await Promise.all(live)) findings.push(...found);
  }
  return sortFindings(findings);
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a whole number of at least 1");
  return n;
}

function describe(findings: readonly Finding[]): string {
  if (findings.length === 0) return "No problems found.";
  const rows = findings.map((f) => [f.severity, f.id, f.subject, f.message + (f.fix ? ` — fix: ${f.fix}` : "")]);
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.filter((f) => f.severity === "warning").length;
  return `${table(["SEVERITY", "ID", "WHERE", "FINDING"], rows)}\n\n${errors} error(s), ${warnings} warning(s).`;
}

export function doctorCommand(): Command {
  return new Command("doctor")
    .description(
      "Check the configuration (same environment as serve) and the live deployment for what weakens it. Exit 0: nothing to fix; 3: warnings; 4: errors.",
    )
    .option("--url <url>", "public address of the running app, to check what browsers receive")
    .option("--instances <n>", "how many instances serve this configuration", positiveInt, 1)
    .option("--offline", "check the configuration only (no database, Redis, SMTP or URL)")
    .option("--timeout <ms>", "longest wait for each dependency", positiveInt, 5000)
    .option("--json", "print the findings as JSON")
    .action(async (opts: { url?: string; instances: number; offline?: boolean; timeout: number; json?: boolean }) => {
      const findings = await runDoctor(process.env, {
        ...(opts.url ? { url: opts.url } : {}),
        instances: opts.instances,
        offline: opts.offline === true,
        timeoutMs: opts.timeout,
      });
      print(opts.json ? JSON.stringify(findings, null, 2) : describe(findings));
      process.exitCode = exitCodeFor(findings);
    });
}
