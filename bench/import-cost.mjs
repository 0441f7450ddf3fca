#!/usr/bin/env node
// What `import "rampart"` costs an app: each sample is a fresh `node` process that imports the built package
// entry (dist/index.js, as an installed package resolves it) and reports the import's wall time and, after a
// full GC, the process's RSS and V8 heap. A second scenario adds the smallest working app: createRampart with
// only a secret (in-memory SQLite, default features), one GET /login, close. An empty process is measured the
// same way, so the figures can be read as "over a bare node". CPU time (user + system of the import) is reported
// beside wall time: it moves less when the machine is busy.
//   node bench/import-cost.mjs                      # builds src/ into bench/.import-cost/current and measures it
//   node bench/import-cost.mjs <build dir> [<build dir B>] [--runs N]   # A/B of two builds, interleaved
// Build a baseline from a commit:
//   mkdir -p bench/.ab/base && git archive <commit> src tsconfig.json tsconfig.build.json | tar -x -C bench/.ab/base
//   (cd bench/.ab/base && node ../../../node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir ../base-build)
// Build dirs must sit inside the checkout, so the package's dependencies resolve from its node_modules.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 15;
let dirs = args.filter((x, i) => !x.startsWith("--") && !(runsAt >= 0 && i === runsAt + 1));
if (dirs.length === 0) {
  const out = resolve(root, "bench/.import-cost/current");
  execFileSync(
    process.execPath,
    [resolve(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", out],
    { cwd: root, stdio: "inherit" },
  );
  dirs = [out];
}
for (const dir of dirs)
  if (!existsSync(resolve(dir, "index.js"))) throw new Error(`${dir}/index.js is missing: build first`);

const probe = (entry, scenario) => `
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  ${entry ? `const m = await import(${JSON.stringify(entry)});` : ""}
  const imported = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const cpu = (c1.user + c1.system) / 1000;
  ${
    scenario === "app"
      ? `
  const r = await m.createRampart({ config: { secretKey: "import-cost-secret-0123456789abcdef0123" }, logger: { info() {}, warn() {}, error() {} } });
  await (await r.fetch(new Request("http://localhost/login", { headers: { accept: "application/json" } }))).text();
  await r.close();`
      : ""
  }
  const total = performance.now() - t0;
  globalThis.gc(); globalThis.gc();
  const mem = process.memoryUsage();
  console.log(JSON.stringify({ imported, cpu, total, rss: mem.rss / 2 ** 20, heap: mem.heapUsed / 2 ** 20 }));
`;
const sample = (entry, scenario) => {
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", probe(entry, scenario)], {
    cwd: root,
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop());
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cases = [
  ["bare node", null, "import"],
  ...dirs.flatMap((dir) => [
    [`import ${dir}`, pathToFileURL(resolve(dir, "index.js")).href, "import"],
    [`import + createRampart + GET /login: ${dir}`, pathToFileURL(resolve(dir, "index.js")).href, "app"],
  ]),
];
const results = new Map(cases.map(([label]) => [label, []]));
sample(cases[1][1], "import"); // warm the file system cache once
for (let i = 0; i < runs; i++)
  for (const [label, entry, scenario] of cases) results.get(label).push(sample(entry, scenario));

console.log(`node ${process.version}, ${runs} fresh processes per case, interleaved; medians (min-max)`);
for (const [label, list] of results) {
  const f = (key, digits) =>
    `${median(list.map((r) => r[key])).toFixed(digits)} (${Math.min(...list.map((r) => r[key])).toFixed(digits)}-${Math.max(...list.map((r) => r[key])).toFixed(digits)})`;
  console.log(
    `${label}\n  import ${f("imported", 0)} ms wall, ${f("cpu", 0)} ms CPU; total ${f("total", 0)} ms, RSS ${f("rss", 1)} MB, heap used ${f("heap", 1)} MB`,
  );
}
