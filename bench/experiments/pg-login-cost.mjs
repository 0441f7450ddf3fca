#!/usr/bin/env node
// Where a login's cost goes on PostgreSQL: the statements one login sends, and the CPU of the server process,
// of the postgres processes and of the whole machine during a login storm.
//   node bench/experiments/pg-login-cost.mjs [build dir, default bench/.build] [--log-statements] [--sqlite]
// --sqlite runs only the storm (part 2) on a SQLite file, for comparison.
// --log-statements sets log_statement=all on the bench database (needs `su postgres`) and prints the statements
// of 20 sequential logins from the cluster's log. Without it the count comes from pg_stat_user_tables and
// pg_stat_database (flushed when the server's connections close, so the server is stopped before reading).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import pg from "pg";
import { postgresDatabase, sqliteDatabase } from "../lib/databases.mjs";
import { cpuSeconds, load, sleep, startServer, stopServer } from "../lib/procs.mjs";
import { PASSWORD, seedUsers, serverEnv, signIn } from "../lib/scenarios.mjs";

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith("--")) ?? "bench/.build";
const onSqlite = args.includes("--sqlite");
const db = onSqlite ? sqliteDatabase() : await postgresDatabase();
if (db.skipped) throw new Error(db.skipped);
await seedUsers(db.url, 1000);
const launcher = [
  "--input-type=module",
  "-e",
  `const cli = await import(${JSON.stringify(resolve(dir, "cli/index.js"))}); await cli.main([process.argv[0], "rampart", "serve", "--port", "0"]);`,
];

const stats = async () => {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const t = await c.query(
      "select relname, seq_scan, coalesce(idx_scan, 0) as idx_scan, n_tup_ins, n_tup_upd, n_tup_del from pg_stat_user_tables",
    );
    const d = await c.query(
      "select xact_commit, xact_rollback from pg_stat_database where datname = current_database()",
    );
    return { tables: Object.fromEntries(t.rows.map((r) => [r.relname, r])), db: d.rows[0] };
  } finally {
    await c.end();
  }
};
const diff = (a, b, n) => {
  const out = {};
  for (const [name, row] of Object.entries(b.tables)) {
    const before = a.tables[name] ?? {};
    const d = Object.fromEntries(
      ["seq_scan", "idx_scan", "n_tup_ins", "n_tup_upd", "n_tup_del"].map((k) => [
        k,
        (Number(row[k]) - Number(before[k] ?? 0)) / n,
      ]),
    );
    if (Object.values(d).some((v) => v !== 0)) out[name] = d;
  }
  out["(transactions)"] = {
    commits: (Number(b.db.xact_commit) - Number(a.db.xact_commit)) / n,
    rollbacks: (Number(b.db.xact_rollback) - Number(a.db.xact_rollback)) / n,
  };
  return out;
};

// 1. Statements per login: sequential logins on a fresh server, stats read after it stopped.
const N = 50;
let server;
if (!onSqlite) {
  server = await startServer("rampart", launcher, serverEnv(db));
  await signIn(server.url, "user1@bench.test"); // warm-up: prepares statements, first worker thread
  await stopServer(server);
  await sleep(500);
  const s0 = await stats();
  server = await startServer("rampart", launcher, serverEnv(db));
  for (let i = 0; i < N; i++) await signIn(server.url, `user${(i % 1000) + 1}@bench.test`);
  await stopServer(server);
  await sleep(1500);
  const s1 = await stats();
  console.log(`per login (GET /login + POST /login, ${N} sequential, includes server start-up queries / ${N}):`);
  console.table(diff(s0, s1, N));
}

if (!onSqlite && args.includes("--log-statements")) {
  const psql = (sql) => execFileSync("su", ["postgres", "-c", `psql -qAt -c "${sql}"`], { encoding: "utf8" });
  const logDir = "/var/log/postgresql";
  const logFile = readdirSync(logDir)
    .filter((f) => f.endsWith(".log"))
    .map((f) => `${logDir}/${f}`)
    .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)[0];
  psql("alter database rampart_bench set log_statement = 'all'");
  server = await startServer("rampart", launcher, serverEnv(db));
  await signIn(server.url, "user1@bench.test");
  const from = statSync(logFile).size;
  for (let i = 0; i < 20; i++) await signIn(server.url, `user${i + 2}@bench.test`);
  await sleep(300);
  const text = readFileSync(logFile, "utf8").slice(from);
  await stopServer(server);
  psql("alter database rampart_bench reset log_statement");
  const statements = text
    .split("\n")
    .filter((l) => /LOG:\s+(statement|execute)/.test(l))
    .map((l) =>
      l
        .replace(/^.*LOG:\s+/, "")
        .replace(/\s+/g, " ")
        .slice(0, 110),
    );
  const counts = new Map();
  for (const s of statements) counts.set(s, (counts.get(s) ?? 0) + 1);
  console.log(`\n${statements.length / 20} statements per login (log_statement=all, 20 logins):`);
  for (const [s, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${(n / 20).toFixed(2).padStart(6)}  ${s}`);
}

// 2. CPU during a login storm (8 connections), split by process.
const postgresPids = () =>
  readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, "utf8").trim() === "postgres";
      } catch {
        return false;
      }
    });
const machine = () => {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0) / 100, idle: (f[3] + f[4]) / 100 };
};
server = await startServer("rampart", launcher, serverEnv(db));
const auth = await signIn(server.url, "user1@bench.test");
// Per thread of the server, grouped by thread name: the event loop ("node"), the hash workers, libuv, V8.
const threads = (pid) => {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      out.set(tid === String(pid) ? "event loop" : `${name} ${tid}`, (Number(f[11]) + Number(f[12])) / 100);
    } catch {}
  }
  return out;
};
// Scheduler figures (ns on a run queue waiting for a core, and wake-ups) summed over tasks.
const sched = (paths) =>
  paths.reduce(
    (acc, path) => {
      try {
        const [, wait, slices] = readFileSync(path, "utf8").trim().split(" ").map(Number);
        acc.wait += wait;
        acc.slices += slices;
      } catch {}
      return acc;
    },
    { wait: 0, slices: 0 },
  );
const schedPaths = (pgPids) => ({
  loop: [`/proc/${server.pid}/task/${server.pid}/schedstat`],
  pg: pgPids.map((p) => `/proc/${p}/schedstat`),
});
const pgCpu = (pids) => pids.reduce((sum, p) => sum + (cpuSeconds(p) ?? 0), 0);
const pids0 = postgresPids();
const threads0 = threads(server.pid);
const sp0 = schedPaths(postgresPids());
const sched0 = { loop: sched(sp0.loop), pg: sched(sp0.pg) };
const before = { server: cpuSeconds(server.pid), pg: pgCpu(pids0), machine: machine() };
const r = await load({
  url: server.url,
  path: "/login",
  method: "POST",
  headers: auth.loginHeaders,
  loginUsers: { count: 1000, password: PASSWORD },
  connections: 8,
  duration: 8,
  warmupSeconds: 0,
  timeoutSeconds: 30,
});
const pids1 = [...new Set([...pids0, ...postgresPids()])];
const threads1 = threads(server.pid);
const sched1 = { loop: sched(sp0.loop), pg: sched(schedPaths(postgresPids()).pg) };
const after = { server: cpuSeconds(server.pid), pg: pgCpu(pids1), machine: machine() };
await stopServer(server);
await db.cleanup();
const logins = r.requests;
const busy = after.machine.total - after.machine.idle - (before.machine.total - before.machine.idle);
const per = (s) => `${Math.round((s * 1e6) / logins)} µs/login`;
console.log(`\nlogin storm: ${logins} logins in 8 s (${(logins / 8).toFixed(1)}/s), non-2xx ${r.non2xx ?? 0}`);
console.log(
  `server process ${per(after.server - before.server)}; postgres processes ${per(after.pg - before.pg)} (${pids1.length} processes); whole machine busy ${per(busy)}; rest (load generator, other tenants) ${per(busy - (after.server - before.server) - (after.pg - before.pg))}`,
);
const byName = new Map();
for (const [key, t] of threads1) {
  const name = key;
  byName.set(name, (byName.get(name) ?? 0) + t - (threads0.get(key) ?? 0));
}
console.log(
  `server threads: ${[...byName]
    .filter(([, t]) => t > 0)
    .sort((x, y) => y[1] - x[1])
    .map(([n, t]) => `${n} ${per(t)}`)
    .join("; ")}`,
);
for (const k of ["loop", "pg"]) {
  const wait = sched1[k].wait - sched0[k].wait;
  const slices = sched1[k].slices - sched0[k].slices;
  console.log(
    `${k === "loop" ? "event loop" : "postgres processes"}: ${slices} runs, mean wait for a core ${slices ? (wait / slices / 1000).toFixed(0) : "-"} µs per run`,
  );
}
console.log(
  `machine: ${((busy / (after.machine.total - before.machine.total)) * 100).toFixed(0)} % busy over the storm`,
);
