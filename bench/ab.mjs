#!/usr/bin/env node
// A/B comparison of the authenticated GET between two builds of the standalone server, interleaved so that
// a busy machine disturbs both alike. Reports server CPU µs per request (robust to load-generator limits)
// and req/s. Build the baseline first, e.g. from the last commit:
//   mkdir -p bench/.ab/head && git archive HEAD src tsconfig.json tsconfig.build.json | tar -x -C bench/.ab/head
//   (cd bench/.ab/head && node ../../../node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir ../head-build)
//   node bench/ab.mjs bench/.ab/head-build bench/.build [rounds] [--postgres]
// --postgres runs both servers on the bench's PostgreSQL database instead of a SQLite file (round trips cost
// more there, so changes in the number of queries show more clearly).
import { resolve } from "node:path";
import { postgresDatabase, sqliteDatabase } from "./lib/databases.mjs";
import { loadWithCpu, startServer, stopServer } from "./lib/procs.mjs";
import { seedUsers, serverEnv, signIn } from "./lib/scenarios.mjs";

const args = process.argv.slice(2);
const [a, b, roundsText] = args.filter((x) => !x.startsWith("--"));
const rounds = Number(roundsText ?? 3);
const db = args.includes("--postgres") ? await postgresDatabase() : sqliteDatabase();
if (db.skipped) throw new Error(db.skipped);
console.log(`database: ${db.name}`);
await seedUsers(db.url, 1000);
const launcher = (dir) => [
  "--input-type=module",
  "-e",
  `const cli = await import(${JSON.stringify(resolve(dir, "cli/index.js"))}); await cli.main([process.argv[0], "rampart", "serve", "--port", "0"]);`,
];
const totals = {};
for (let round = 0; round < rounds; round++) {
  for (const [label, dir] of [
    ["A", a],
    ["B", b],
  ]) {
    const server = await startServer(label, launcher(dir), serverEnv(db));
    try {
      const auth = await signIn(server.url, "user1@bench.test");
      for (const [via, headers] of [
        ["token", { "authentication-token": auth.token }],
        ["session", { cookie: auth.sessionCookie }],
      ]) {
        const r = await loadWithCpu(server.pid, {
          url: server.url,
          path: "/api/protected",
          headers: { ...headers, accept: "application/json" },
          connections: 16,
          duration: 4,
          warmupSeconds: 1,
        });
        const key = `${label} ${via}`;
        (totals[key] ??= []).push(r);
        console.log(
          `round ${round + 1} ${key}: ${Math.round(r.rps)} req/s, ${Math.round(r.cpuUsPerRequest)} µs CPU/req`,
        );
      }
    } finally {
      await stopServer(server);
    }
  }
}
await db.cleanup();
const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const [key, rs] of Object.entries(totals)) {
  console.log(
    `${key}: median ${Math.round(median(rs.map((r) => r.rps)))} req/s, ${Math.round(median(rs.map((r) => r.cpuUsPerRequest)))} µs CPU/req`,
  );
}
