#!/usr/bin/env node
// Runs the whole test suite: starts the database services the tests use (scripts/services.sh), then every
// *.test.ts under src/ and test/ through node's test runner. Extra arguments filter files by substring.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const filters = process.argv.slice(2);

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

if (!process.env.RAMPART_SKIP_SERVICES) {
  const r = spawnSync("bash", [join(root, "scripts/services.sh")], { stdio: "inherit" });
  if (r.status !== 0) {
    console.error("scripts/services.sh failed");
    process.exit(r.status ?? 1);
  }
}
const envFile = join(root, ".test-services.env");
const env = { ...process.env };
if (existsSync(envFile)) {
  for (const line of readFileSync(envFile, "utf8").split("\n")) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m && env[m[1]] === undefined) env[m[1]] = m[2];
  }
}

let files = [...findTests(join(root, "src")), ...findTests(join(root, "test"))].sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// A test file that fails while it holds a server or a pool open would otherwise keep its process, and so the whole
// run, alive until CI's limit (seen once: a failing CLI test left its SMTP sink listening). Force-exit ends a file
// once its tests are done; the default timeout (20 minutes, far above any file's run) ends a test that never settles.
const args = [
  "--import",
  "tsx",
  "--test",
  "--test-force-exit",
  "--test-timeout=1200000",
  "--test-reporter=spec",
  "--test-reporter-destination=stdout",
  "--test-reporter=" + join(root, "scripts/summary-reporter.mjs"),
  "--test-reporter-destination=stdout",
  ...files,
];
const r = spawnSync(process.execPath, args, { stdio: "inherit", env, cwd: root });
process.exit(r.status ?? 1);
