/**
 * Every fenced code block in README.md and docs/**\/*.md is run, so a stale example fails the suite:
 *   ts / js  written to files inside the checkout ("rampart" imports point at src/), typechecked together by
 *            tsc, then each executed with tsx; it must exit 0, or print "listening on <url>" (then GET <url>/login
 *            must answer 200 and the process is stopped).
 *   sh       every sh block of a file runs in order in one bash (set -e) in a fresh temp dir; `npx rampart` is
 *            the checkout's CLI (a bundle of its sources, test/helpers/cli-bundle.ts); ports 8080 and 5000 become free ports; after a block that starts
 *            `rampart serve … &` the next block waits for the port. Background jobs are stopped at the end.
 *   http     wire illustrations with elided values ("…"): every request line must name a route Rampart serves
 *            (all features on) and every {…} must be valid JSON.
 *   text     the directory map: every *.ts it names must exist under src/.
 * A block may be skipped only with `<!-- docs-test: skip — reason -->` on the line before it; there are at
 * most three, each with its reason.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createRampart } from "../src/create-rampart.js";
import { cliBundle } from "./helpers/cli-bundle.js";
import { againstSources } from "./helpers/docs-code.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SKIP = /^<!--\s*docs-test:\s*skip\s*[—-]\s*(\S.*?)\s*-->$/;
const MAX_SKIPS = 3;

interface Block {
  file: string;
  line: number;
  lang: string;
  code: string;
  skip: string | null;
}

function markdownFiles(): string[] {
  const out = [join(ROOT, "README.md")];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".md")) out.push(p);
    }
  };
  walk(join(ROOT, "docs"));
  return out;
}

function blocksOf(file: string): Block[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!.slice(open[1]!.length));
    const skip = SKIP.exec((lines[start - 1] ?? "").trim());
    blocks.push({
      file: relative(ROOT, file),
      line: start + 1,
      lang: open[2]!,
      code: body.join("\n"),
      skip: skip ? skip[1]! : null,
    });
  }
  return blocks;
}

const all = markdownFiles().flatMap(blocksOf);
const where = (b: Block) => `${b.file}:${b.line}`;

/** The top-level {…} spans of a line (braces inside strings do not count). */
function jsonObjects(line: string): string[] {
  const found: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"' && depth > 0) inString = true;
    else if (ch === "{") {
      if (depth++ === 0) start = i;
    } else if (ch === "}" && depth > 0 && --depth === 0) found.push(line.slice(start, i + 1));
  }
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Environment for examples: nothing configuring Rampart leaks in from the test run; cheap hashing. */
function exampleEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(SECURITY_|RAMPART_|SESSION_|REMEMBER_|MAIL_)/.test(k)) continue;
    if (["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PORT", "NODE_TEST_CONTEXT", "NODE_OPTIONS"].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, RAMPART_ARGON2_MEMORY_COST: "1024", RAMPART_ARGON2_TIME_COST: "1", ...extra };
}

describe("documentation code blocks", { timeout: 600_000 }, () => {
  const scratch = mkdtempSync(join(ROOT, ".docs-blocks-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("every block names a language the test knows; skips are few and give a reason", () => {
    for (const b of all)
      assert.ok(
        ["ts", "js", "sh", "http", "text"].includes(b.lang),
        `${where(b)}: fence language "${b.lang}" (use ts, js, sh, http or text)`,
      );
    const skipped = all.filter((b) => b.skip);
    assert.ok(skipped.length <= MAX_SKIPS, `too many skipped blocks: ${skipped.map(where).join(", ")}`);
    for (const b of skipped) assert.ok(b.skip!.length > 20, `${where(b)}: say why the block cannot run`);
    assert.ok(all.filter((b) => !b.skip).length >= 10, "the blocks were found");
  });

  const code = all.filter((b) => !b.skip && (b.lang === "ts" || b.lang === "js"));
  const files = code.map((b, i) => ({
    block: b,
    path: join(scratch, `block${i}-${basename(b.file, ".md")}.${b.lang === "js" ? "mjs" : "ts"}`),
  }));

  it("ts/js blocks typecheck (tsc, strict)", () => {
    const src = relative(scratch, join(ROOT, "src"));
    for (const { block, path } of files) {
      // The package's own name resolves to the sources (the build in dist/ may be missing or stale).
      const text = againstSources(block.code, src);
      writeFileSync(path, `// ${where(block)}\n${text}\nexport {};\n`);
    }
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        extends: "../tsconfig.json",
        compilerOptions: { noEmit: true, declaration: false, rootDir: "..", allowJs: true, checkJs: true },
        include: ["*.ts", "*.mjs"],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(scratch, "tsconfig.json")],
      { cwd: ROOT, encoding: "utf8" },
    );
    assert.equal(tsc.status, 0, `tsc:\n${tsc.stdout}${tsc.stderr}`);
  });

  for (const [i, { block, path }] of files.entries()) {
    it(`${where(block)} runs (block ${i})`, { timeout: 120_000 }, async () => {
      const port = await freePort();
      const child = spawn(process.execPath, ["--import", "tsx", path], {
        cwd: scratch,
        env: exampleEnv({ PORT: String(port) }),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
      const listening = new Promise<string>((resolve) => {
        const timer = setInterval(() => {
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) {
            clearInterval(timer);
            resolve(m[1]!);
          }
        }, 50);
        void exited.then(() => clearInterval(timer));
      });
      const first = await Promise.race([
        exited.then((c) => ({ exit: c })),
        listening.then((url) => ({ url })),
        new Promise<{ timeout: true }>((r) => setTimeout(() => r({ timeout: true }), 90_000)),
      ]);
      try {
        if ("url" in first) {
          const r = await fetch(`${first.url}/login`, { headers: { accept: "application/json" } });
          assert.equal(r.status, 200, `${where(block)}: GET /login on the example's server`);
        } else {
          assert.ok(!("timeout" in first), `${where(block)} neither finished nor listened:\n${out}`);
          assert.equal(first.exit, 0, `${where(block)} failed:\n${out}`);
        }
      } finally {
        if (child.exitCode === null) process.kill(-child.pid!, "SIGTERM");
        await exited;
      }
    });
  }

  const shellFiles = [...new Set(all.filter((b) => !b.skip && b.lang === "sh").map((b) => b.file))];
  for (const file of shellFiles) {
    it(`${file}: sh blocks run in order`, { timeout: 240_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), "rampart-docs-sh-"));
      try {
        const bin = join(dir, ".bin");
        mkdirSync(bin);
        writeFileSync(
          join(bin, "npx"),
          `#!/bin/sh\nif [ "$1" = rampart ]; then shift; exec "${process.execPath}" "${await cliBundle(ROOT)}" "$@"; fi\necho "npx $1: not available in the docs test" >&2; exit 127\n`,
          { mode: 0o755 },
        );
        const ports = new Map<string, number>([
          ["8080", await freePort()],
          ["5000", await freePort()],
        ]);
        const parts = ["set -euo pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"];
        let waitFor: number | null = null;
        for (const b of all.filter((x) => x.file === file && x.lang === "sh" && !x.skip)) {
          let text = b.code;
          for (const [from, to] of ports) text = text.replace(new RegExp(`\\b${from}\\b`, "g"), String(to));
          if (waitFor !== null)
            parts.push(
              `for i in $(seq 1 240); do curl -s -o /dev/null http://127.0.0.1:${waitFor}/login && break; sleep 0.25; done`,
            );
          parts.push(`echo "### ${where(b)}" >&2`, text);
          const serve = /rampart serve[^\n]*--port (\d+)[^\n]*&/.exec(text);
          waitFor = serve ? Number(serve[1]) : null;
        }
        const script = join(dir, "blocks.sh");
        writeFileSync(script, parts.join("\n") + "\n");
        const child = spawn("bash", [script], {
          cwd: dir,
          env: exampleEnv({ PATH: `${bin}:${process.env.PATH}` }),
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        assert.equal(code, 0, `the sh blocks of ${file} failed (the last "###" names the block):\n${out}`);
        if (file === "README.md")
          assert.match(out, /Hello you@example\.com/, "the README's login reaches the protected route");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("http blocks name routes Rampart serves, with valid JSON", async () => {
    const rampart = await createRampart({
      config: {
        development: true,
        registration: { enabled: true },
        confirmation: { enabled: true },
        recovery: { enabled: true },
        changePassword: { enabled: true },
        refreshTokens: { enabled: true },
        changeEmail: { enable: true },
        profile: { enable: true },
        // Social sign-in's routes (they need a base URL and a provider; nothing is fetched from it here).
        baseUrl: "https://app.example.com",
        oauth: { github: { enabled: true, clientId: "docs-client", clientSecret: "docs-secret" } },
      } as never,
      logger: { info() {}, warn() {}, error() {} },
    });
    try {
      for (const b of all.filter((x) => x.lang === "http" && !x.skip)) {
        let requests = 0;
        for (const line of b.code.split("\n")) {
          const request = /^(GET|POST|PUT|DELETE|PATCH)\s+(\/\S*)/.exec(line.trim());
          if (request) {
            requests++;
            const path = request[2]!.split("?")[0]!;
            assert.ok(rampart.handles(request[1]!, path), `${where(b)}: ${request[1]} ${path} is not a Rampart route`);
          }
          for (const json of jsonObjects(line))
            assert.doesNotThrow(() => JSON.parse(json), `${where(b)}: not JSON: ${json}`);
        }
        assert.ok(requests > 0, `${where(b)}: an http block shows at least one request`);
      }
    } finally {
      await rampart.close();
    }
  });

  it("the directory map names files that exist", () => {
    const names = new Set<string>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir))
        statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : names.add(name);
    };
    walk(join(ROOT, "src"));
    for (const b of all.filter((x) => x.lang === "text" && !x.skip)) {
      for (const m of b.code.matchAll(/[\w-]+\.ts\b/g))
        assert.ok(names.has(m[0]), `${where(b)}: ${m[0]} is not under src/`);
    }
    assert.ok(existsSync(join(ROOT, "src/create-rampart.ts")));
  });
});
