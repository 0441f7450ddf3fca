#!/usr/bin/env node
// `npm run bench` (full, ~5-8 minutes on 2 cores) or `npm run bench -- --quick` (smoke, ~1-2 minutes).
// Options: --only token,session,login,hol,scale,memory   --no-postgres   --cpu-prof (server profiles in
// bench/results/profiles)   --from-source (serve through tsx instead of a fresh build)   --no-docs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { postgresDatabase, sqliteDatabase } from "./lib/databases.mjs";
import { ROOT, runJson } from "./lib/procs.mjs";
import { renderMarkdown, updateBenchmarksDoc } from "./lib/report.mjs";
import { measureCeiling, runDatabase } from "./lib/scenarios.mjs";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const onlyArg = argv.find((a) => a.startsWith("--only"));
const opts = {
  quick,
  only: onlyArg ? (onlyArg.includes("=") ? onlyArg.split("=")[1] : argv[argv.indexOf(onlyArg) + 1]).split(",") : null,
  cpuProf: argv.includes("--cpu-prof"),
  postgres: !argv.includes("--no-postgres"),
  fromSource: argv.includes("--from-source"),
  outDir: join(ROOT, "bench", "results"),
};
const p = quick
  ? {
      seconds: 3,
      warmup: 1,
      connections: 16,
      loginConnections: 8,
      probeRate: 200,
      smallUsers: 1000,
      largeUsers: 20_000,
      sessions: 2000,
    }
  : {
      seconds: 10,
      warmup: 2,
      connections: 16,
      loginConnections: 8,
      probeRate: 200,
      smallUsers: 1000,
      largeUsers: 100_000,
      sessions: 10_000,
    };
// The server's defaults (src/crypto/passwords/options.ts); the raw figure uses the same.
const hash = {
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  maxConcurrent: 2,
  threadpool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
};

mkdirSync(opts.outDir, { recursive: true });
const started = Date.now();
const log = (m) => console.log(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${m}`);

const result = {
  date: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  machine: {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  },
  hash,
  params: p,
  server: opts.fromSource
    ? "bin/rampart.mjs serve (TypeScript through tsx)"
    : "rampart serve from a fresh tsc build (bench/.build)",
  databases: [],
  skipped: [],
};

if (!opts.fromSource) {
  // The server runs compiled, as installed: build src/ into bench/.build (not dist/, which others may be using).
  log("building src/ into bench/.build");
  rmSync(join(ROOT, "bench", ".build"), { recursive: true, force: true });
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json", "--outDir", "bench/.build"],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (!existsSync(join(ROOT, "bench", ".build", "cli", "index.js")))
    throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
}

log("raw argon2id verifies/s (own process, server's parameters and concurrency)");
result.rawArgon2 = await runJson(
  ["bench/argon2-raw.mjs", hash.memoryCost, hash.timeCost, hash.parallelism, hash.maxConcurrent, p.seconds].map(String),
);
p.hash = hash;
log("ceiling (bare Hono, no authentication)");
result.ceilingBefore = await measureCeiling(p);

const dbs = [sqliteDatabase()];
if (opts.postgres) {
  const pgDb = await postgresDatabase();
  if (pgDb.skipped) result.skipped.push(`PostgreSQL: ${pgDb.skipped}`);
  else dbs.push(pgDb);
}
for (const db of dbs) {
  try {
    result.databases.push(await runDatabase(db, p, opts, log));
  } catch (e) {
    log(`${db.key} failed: ${e.stack ?? e.message}`);
    result.databases.push({ database: db.name, failed: String(e.message).slice(0, 2000) });
  } finally {
    await db.cleanup().catch((e) => log(`cleanup of ${db.key} failed: ${e.message}`));
  }
}

log("ceiling again (drift check)");
result.ceilingAfter = await measureCeiling(p);
result.ceilingRps = (result.ceilingBefore.rps + result.ceilingAfter.rps) / 2;
result.seconds = (Date.now() - started) / 1000;

const markdown = renderMarkdown(result);
// Only a full run with every scenario is "latest" (what BENCHMARKS.md quotes); others go to partial.*.
const complete = !quick && !opts.only;
const base = complete ? "latest" : "partial";
writeFileSync(join(opts.outDir, `${base}.json`), JSON.stringify(result, null, 2) + "\n");
writeFileSync(join(opts.outDir, `${base}.md`), markdown);
if (complete && !argv.includes("--no-docs")) updateBenchmarksDoc(markdown);
console.log("\n" + markdown);
log(`done in ${result.seconds.toFixed(0)} s; wrote bench/results/${base}.md and ${base}.json`);
process.exit(result.databases.some((d) => d.failed) ? 1 : 0);
