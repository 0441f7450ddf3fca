/**
 * Runs the real `rampart` CLI in child processes, from the checkout's current sources (never a stale dist/), with a
 * clean environment. It runs as one bundle of those sources (test/helpers/cli-bundle.ts): starting bin/rampart.mjs
 * through tsx costs about a second per process, and these suites start hundreds. bin/rampart.mjs itself is run by
 * commands.test.ts and the docs test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cliBundle } from "../helpers/cli-bundle.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "bin/rampart.mjs");
export const TEST_SECRET_KEY = "cli-test-secret-key-0123456789abcdef0123456789";

type Env = Record<string, string | undefined>;

/** The parent's environment without anything that configures Rampart, plus cheap hashing for speed. */
function baseEnv(): Env {
  const env: Env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(SECURITY_|RAMPART_|SESSION_|REMEMBER_|WTF_)/.test(k)) continue;
    if (
      [
        "SECRET_KEY",
        "SECRET_KEY_FALLBACKS",
        "DATABASE_URL",
        "REDIS_URL",
        "PORT",
        "NODE_ENV",
        "SERVER_NAME",
        "NODE_TEST_CONTEXT",
        "NODE_OPTIONS",
      ].includes(k)
    )
      continue;
    env[k] = v;
  }
  return {
    ...env,
    RAMPART_ARGON2_MEMORY_COST: "1024",
    RAMPART_ARGON2_TIME_COST: "1",
  };
}

function childEnv(env: Env): NodeJS.ProcessEnv {
  const merged: Env = { ...baseEnv(), ...env };
  return Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `rampart ...args` to completion (stdin is /dev/null: not a terminal). */
export function runCli(
  args: string[],
  env: Env,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return cliBundle(ROOT).then((entry) => runEntry(entry, args, env, options));
}

/** Runs `node <entry> ...args` to completion; runCli with the bundle, or bin/rampart.mjs itself. */
export function runEntry(
  entry: string,
  args: string[],
  env: Env,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: options.cwd ?? ROOT,
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`rampart ${args.join(" ")} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; returns stdout. */
export async function cliOk(args: string[], env: Env): Promise<string> {
  const r = await runCli(args, env);
  if (r.code !== 0)
    throw new Error(`rampart ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `rampart serve --port 0` and waits for its "listening on" line. When the process exits first,
 * rejects with its output (tests that expect a refusal use runCli instead).
 */
export async function startServe(
  env: Env,
  extraArgs: string[] = [],
  options: { cwd?: string } = {},
): Promise<ServeProcess> {
  const entry = await cliBundle(ROOT);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, "serve", "--port", "0", ...extraArgs], {
      cwd: options.cwd ?? ROOT,
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let started = false;
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`rampart serve did not start\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 60_000);
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          child,
          output: () => ({ stdout, stderr }),
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      if (!started) {
        clearTimeout(timer);
        reject(new Error(`rampart serve exited ${code} before listening\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
}

export async function tempDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "rampart-cli-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
