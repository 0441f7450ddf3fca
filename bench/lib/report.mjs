// Turns a run's figures into the markdown table (targets from the issue) and rewrites the table section of
// BENCHMARKS.md between its markers.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./procs.mjs";

const f0 = (n) => (n == null ? "–" : Math.round(n).toLocaleString("en-US"));
const f1 = (n) => (n == null ? "–" : n.toFixed(1));
const f2 = (n) => (n == null ? "–" : n.toFixed(2));
const pct = (n) => (n == null ? "–" : `${(n * 100).toFixed(1)} %`);
const verdict = (ok) => (ok == null ? "–" : ok ? "met" : "**missed**");
const lat = (r) => (r ? `${f2(r.p50)} / ${f2(r.p99)}` : "–");
const cpu = (r) => (r?.cpuUsPerRequest != null ? `, ${f0(r.cpuUsPerRequest)} µs CPU/req` : "");
const errs = (r) =>
  r && (r.non2xx || r.errors || r.timeouts) ? ` (${r.non2xx ?? 0} non-2xx, ${r.errors ?? 0} errors)` : "";

function rows(d, overallCeiling, raw) {
  const out = [];
  const ceiling = d.ceiling?.rps ?? overallCeiling;
  const add = (scenario, figure, latency, ratio, target, ok) =>
    out.push(`| ${scenario} | ${figure} | ${latency} | ${ratio} | ${target} | ${verdict(ok)} |`);
  if (d.tokenGet) {
    const r = d.tokenGet.rps / ceiling;
    add(
      "GET /api/protected, auth token",
      `${f0(d.tokenGet.rps)} req/s${cpu(d.tokenGet)}${errs(d.tokenGet)}`,
      lat(d.tokenGet),
      `${pct(r)} of ceiling`,
      "≥ 90 %",
      r >= 0.9,
    );
  }
  if (d.floorTokenGet) {
    const r = d.floorTokenGet.rps / ceiling;
    add(
      "Floor: token GET, bare minimum auth (1 HMAC + 1 lookup)",
      `${f0(d.floorTokenGet.rps)} req/s${cpu(d.floorTokenGet)}${errs(d.floorTokenGet)}`,
      lat(d.floorTokenGet),
      `${pct(r)} of ceiling`,
      "reference",
      null,
    );
  }
  if (d.sessionGet) {
    const r = d.sessionGet.rps / ceiling;
    add(
      "GET /api/protected, session cookie",
      `${f0(d.sessionGet.rps)} req/s${cpu(d.sessionGet)}${errs(d.sessionGet)}`,
      lat(d.sessionGet),
      `${pct(r)} of ceiling`,
      "≥ 80 %",
      r >= 0.8,
    );
  }
  if (d.floorSessionGet) {
    const r = d.floorSessionGet.rps / ceiling;
    add(
      "Floor: session GET, bare minimum auth (1 SHA-256 + 1 joined lookup)",
      `${f0(d.floorSessionGet.rps)} req/s${cpu(d.floorSessionGet)}${errs(d.floorSessionGet)}`,
      lat(d.floorSessionGet),
      `${pct(r)} of ceiling`,
      "reference",
      null,
    );
  }
  if (d.login) {
    const r = d.login.rps / (d.rawArgon2?.hashesPerSecond ?? raw);
    add(
      "JSON login (CSRF, argon2id verify)",
      `${f1(d.login.rps)} logins/s${cpu(d.login)}${errs(d.login)}`,
      lat(d.login),
      `${pct(r)} of raw argon2id (${f1(d.rawArgon2?.hashesPerSecond ?? raw)}/s)`,
      "≥ 90 %",
      r >= 0.9,
    );
  }
  if (d.holIdle && d.holStorm) {
    const r = d.holStorm.p99 / d.holIdle.p99;
    add(
      `Token GET at ${f0(d.holIdle.rps)} req/s: idle vs login storm (${f1(d.holStormLogins?.rps)} logins/s)`,
      `p99 ${f2(d.holIdle.p99)} → ${f2(d.holStorm.p99)} ms${errs(d.holStorm)}`,
      `${lat(d.holIdle)} → ${lat(d.holStorm)}`,
      `${f2(r)}× idle p99`,
      "≤ 2×",
      r <= 2,
    );
  }
  const small = d.tokenGetSmall ?? d.tokenGet;
  if (d.tokenGetLarge && small) {
    const cost = 1 - d.tokenGetLarge.rps / small.rps;
    add(
      `Token GET, ${f0(d.seedLarge?.users)} vs ${f0(d.seedSmall?.users)} users`,
      `${f0(d.tokenGetLarge.rps)} vs ${f0(small.rps)} req/s (${f0(d.tokenGetLarge.cpuUsPerRequest)} vs ${f0(small.cpuUsPerRequest)} µs CPU/req)`,
      lat(d.tokenGetLarge),
      `${pct(cost)} cost`,
      "≤ 10 %",
      cost <= 0.1,
    );
  }
  const smallLogin = d.loginSmall ?? d.login;
  if (d.loginLarge && smallLogin) {
    const cost = 1 - d.loginLarge.rps / smallLogin.rps;
    add(
      `Login, ${f0(d.seedLarge?.users)} vs ${f0(d.seedSmall?.users)} users`,
      `${f1(d.loginLarge.rps)} vs ${f1(smallLogin.rps)} logins/s${errs(d.loginLarge)}`,
      lat(d.loginLarge),
      `${pct(cost)} cost`,
      "≤ 10 %",
      cost <= 0.1,
    );
  }
  if (d.rssSessionsMb != null) {
    add(
      `Server RSS, ${f0(d.seedSessions?.sessions)} sessions each used once`,
      `${f1(d.rssSessionsMb)} MB (fresh ${f1(d.rssBeforeSessionsMb)} MB)${errs(d.sessionsUse)}`,
      lat(d.sessionsUse),
      "–",
      "≤ 150 MB",
      d.rssSessionsMb <= 150,
    );
  }
  return out;
}

export function renderMarkdown(res) {
  const m = res.machine;
  const h = res.hash;
  const lines = [
    `Run ${res.date} (${res.mode}, ${f0(res.seconds)} s). Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.platform}; Node ${m.node}.`,
    `Password hashing: argon2id m=${h.memoryCost} KiB, t=${h.timeCost}, p=${h.parallelism}; at most ${h.maxConcurrent} hashes at once, each on a worker thread at nice 19; libuv pool ${h.threadpool} threads.`,
    `Server: ${res.server}, one process. Load: autocannon in a separate process, ${res.params.connections} connections (logins: ${res.params.loginConnections}), ${res.params.seconds} s per scenario after ${res.params.warmup} s warm-up; the head-of-line probe sends ${res.params.probeRate} req/s open-loop.`,
    `Ceiling (bare Hono, no authentication, same JSON): ${f0(res.ceilingBefore.rps)} req/s before, ${f0(res.ceilingAfter.rps)} after; mean ${f0(res.ceilingRps)} req/s (server CPU ${f0(res.ceilingBefore.cpuUsPerRequest)} µs/req).`,
    `Raw argon2id (same parameters, ${res.rawArgon2.concurrency} at once, own process): ${f1(res.rawArgon2.hashesPerSecond)} verifies/s at the start; the login rows use a measurement taken right before each.`,
    ...res.skipped.map((s) => `Skipped: ${s}.`),
    "",
  ];
  for (const d of res.databases) {
    lines.push(`**${d.database}**`, "");
    if (d.failed) {
      lines.push(`Failed: ${d.failed.split("\n")[0]}`, "");
      continue;
    }
    if (d.ceiling)
      lines.push(
        `Ceiling measured next to these GETs: ${f0(d.ceiling.rps)} req/s (${f0(d.ceiling.cpuUsPerRequest)} µs CPU/req); the GET ratios below use it.`,
        "",
      );
    lines.push(
      "| Scenario | Figure | p50 / p99 ms | Ratio | Target | |",
      "|---|---|---|---|---|---|",
      ...rows(d, res.ceilingRps, res.rawArgon2.hashesPerSecond),
      "",
    );
  }
  return lines.join("\n");
}

const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

/** Replaces the table section of BENCHMARKS.md (between the markers) with this run's table. */
export function updateBenchmarksDoc(markdown) {
  const file = join(ROOT, "BENCHMARKS.md");
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return;
  }
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return;
  writeFileSync(file, `${text.slice(0, a + START.length)}\n${markdown}\n${text.slice(b)}`);
}
