#!/usr/bin/env node
// Rampart's own per-request work without HTTP: the demo app's handler for GET /api/protected called in a loop,
// in-process, on the bench's SQLite file. Over HTTP on 2 cores the CPU per request also depends on how the
// server and the load generator wake each other, which moves more than a few µs of work; this does not.
//   node bench/experiments/guard-micro.mjs <build dir A> <build dir B> [rounds]
// Each round runs A then B in fresh processes; prints µs per call (token, session) and the medians.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { sqliteDatabase } from "../lib/databases.mjs";
import { seedUsers } from "../lib/scenarios.mjs";

const [a, b, roundsText] = process.argv.slice(2);
if (a === "--child") {
  const dir = b;
  const url = roundsText;
  const { startStandaloneServer } = await import(resolve(dir, "server/standalone.js"));
  const { demoApp } = await import(resolve(dir, "server/demo-app.js"));
  const { signIn } = await import("../lib/scenarios.mjs");
  const env = {
    DATABASE_URL: url,
    SECRET_KEY: "bench-secret-key-not-for-production-0123456789",
    RAMPART_DEVELOPMENT: "false",
    NODE_ENV: "production",
  };
  const running = await startStandaloneServer({ env, port: 0, host: "127.0.0.1", out: () => {}, err: () => {} });
  const auth = await signIn(running.url, "user1@bench.test");
  const app = demoApp(running.rampart);
  const out = {};
  for (const [via, headers] of [
    ["token", { "authentication-token": auth.token }],
    ["session", { cookie: auth.sessionCookie }],
  ]) {
    const call = async () => {
      const res = await app(
        new Request(`${running.url}/api/protected`, {
          headers: { ...headers, accept: "application/json", "user-agent": "micro" },
        }),
      );
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      await res.text();
    };
    for (let i = 0; i < 3000; i++) await call(); // warm-up (JIT)
    const n = 20000;
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await call();
    const t = process.cpuUsage(t0);
    out[via] = (t.user + t.system) / n;
  }
  await running.close(100);
  console.log(JSON.stringify(out));
  process.exit(0);
}

const rounds = Number(roundsText ?? 5);
const db = sqliteDatabase();
await seedUsers(db.url, 1000);
const all = { A: { token: [], session: [] }, B: { token: [], session: [] } };
for (let r = 0; r < rounds; r++) {
  for (const [label, dir] of [
    ["A", a],
    ["B", b],
  ]) {
    const res = JSON.parse(
      execFileSync(process.execPath, [new URL(import.meta.url).pathname, "--child", dir, db.url], { encoding: "utf8" })
        .trim()
        .split("\n")
        .at(-1),
    );
    for (const k of ["token", "session"]) all[label][k].push(res[k]);
    console.log(`round ${r + 1} ${label}: token ${res.token.toFixed(1)} µs, session ${res.session.toFixed(1)} µs`);
  }
}
await db.cleanup?.();
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const label of ["A", "B"])
  console.log(
    `${label}: token median ${median(all[label].token).toFixed(1)} µs/call, session ${median(all[label].session).toFixed(1)} µs/call`,
  );
