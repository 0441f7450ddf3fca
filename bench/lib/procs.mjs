// Child processes for the benchmark: servers (waited for until they print their "listening" line), one-shot
// JSON-printing workers (seeding, load generation, raw argon2), and the server's resident memory.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Starts `node <args>` and resolves once stdout shows `ready` (a regex whose group 1 is the port). */
export function startServer(name, args, env, ready = /listening on http:\/\/[^:]+:(\d+)/i) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const fail = (why) => reject(new Error(`${name}: ${why}\n${out.slice(-3000)}`));
    const timer = setTimeout(() => (child.kill("SIGKILL"), fail("did not start within 60 s")), 60_000);
    const onData = (chunk) => {
      out += chunk;
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        resolve({ name, child, pid: child.pid, url: `http://127.0.0.1:${m[1]}`, log: () => out });
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", (c) => (out += c));
    child.on("exit", (code) => (clearTimeout(timer), fail(`exited with ${code}`)));
  });
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
export function stopServer(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    const kill = setTimeout(() => server.child.kill("SIGKILL"), 10_000);
    server.child.removeAllListeners("exit");
    server.child.once("exit", () => (clearTimeout(kill), resolve()));
    server.child.kill("SIGTERM");
  });
}

/** Runs `node <args>` to completion and parses the last stdout line as JSON. */
export function runJson(args, env = {}, timeoutMs = 600_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c) => (err += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const last = out.trim().split("\n").at(-1) ?? "";
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(last));
      } catch (e) {
        reject(new Error(`node ${args.join(" ").slice(0, 200)}: ${e.message}\n${err.slice(-3000)}${out.slice(-1000)}`));
      }
    });
  });
}

/** Load generation in its own process (autocannon, or the fixed-rate probe). */
export function load(spec) {
  return runJson(["bench/load-worker.mjs", JSON.stringify(spec)]);
}

/** Resident set size of a process in MB (Linux /proc), or null elsewhere. */
export function rssMb(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system, all threads) a process has used so far, in seconds (Linux /proc), or null. */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks (100 on Linux)
  } catch {
    return null;
  }
}

/** Runs a load spec and adds the server's CPU time per answered request (µs), warm-up included. */
export async function loadWithCpu(pid, spec) {
  const before = cpuSeconds(pid);
  const r = await load(spec);
  const after = cpuSeconds(pid);
  const answered = r.requests + (r.warmupRequests ?? 0);
  if (before !== null && after !== null && answered > 0) r.cpuUsPerRequest = ((after - before) * 1e6) / answered;
  return r;
}
