import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * What `import "rampart"` and a minimal app load (the time and memory are measured by bench/import-cost.mjs;
 * here, the modules). A fresh node process records every module resolved (ESM, through a resolve hook) and every
 * CommonJS module in the require cache, then reports them.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROBE = `
  import { register, createRequire } from "node:module";
  const seen = new Set();
  const { port1, port2 } = new MessageChannel();
  port1.on("message", (url) => seen.add(url));
  port1.unref();
  const hook = "let port; export function initialize(d) { port = d.port; } export async function resolve(s, c, n) { const r = await n(s, c); port.postMessage(r.url); return r; }";
  register("data:text/javascript," + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] });
  const rampart = await import(${JSON.stringify(new URL("../src/index.ts", import.meta.url).href)});
  if (process.env.PROBE_APP) {
    const r = await rampart.createRampart({ config: { secretKey: "k".repeat(40) }, logger: { info() {}, warn() {}, error() {} } });
    await r.fetch(new Request("http://localhost/login", { headers: { accept: "application/json" } }));
    await r.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  console.log(JSON.stringify([...seen, ...Object.keys(createRequire(import.meta.url).cache)]));
`;
function loaded(app: boolean, entry = "../src/index.ts"): string[] {
  const probe = PROBE.replace(JSON.stringify(new URL("../src/index.ts", import.meta.url).href), () =>
    JSON.stringify(new URL(entry, import.meta.url).href),
  );
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PROBE_APP: app ? "1" : "" },
  });
  return JSON.parse(out.trim().split("\n").pop()!) as string[];
}
const packages = (modules: string[]) =>
  new Set(
    modules
      .filter((m) => m.includes("/node_modules/"))
      .map((m) =>
        m
          .replace(/.*\/node_modules\//, "")
          .split("/")
          .slice(0, m.includes("/node_modules/@") ? 2 : 1)
          .join("/"),
      ),
  );
const HEAVY = [
  "kysely",
  "better-sqlite3",
  "pg",
  "mysql2",
  "ioredis",
  "@node-rs/argon2",
  "@node-rs/bcrypt",
  "nodemailer",
  "qrcode",
  "otpauth",
  "libphonenumber-js",
  "@zxcvbn-ts/core",
  "unhomoglyph",
  "validator",
  "unixcrypt",
  "@hono/node-server",
  "commander",
  "jose",
];

describe("what loads", { timeout: 120_000 }, () => {
  it('import "rampart" loads no feature code, no database driver and no native module (config schemas and message texts, zod, are all)', () => {
    const modules = loaded(false);
    const pkgs = packages(modules);
    assert.deepEqual(
      HEAVY.filter((p) => pkgs.has(p)),
      [],
    );
    // The public config loader knows every feature's slice (and the message texts), never a feature's code.
    const declarations = /\/src\/features\/(builtin\.|[a-z-]+\/(config|messages)\.)/;
    assert.deepEqual(
      modules.filter(
        (m) => (m.includes("/src/features/") && !declarations.test(m)) || m.includes("/src/create-rampart."),
      ),
      [],
    );
    assert.ok(pkgs.has("zod") && modules.some((m) => m.endsWith("/src/index.ts")), "the probe sees what loads");
  });

  it('import "rampart/feature" loads no built-in feature\'s code, no database driver and no native module', () => {
    const modules = loaded(false, "../src/feature.ts");
    const pkgs = packages(modules);
    assert.deepEqual(
      HEAVY.filter((p) => pkgs.has(p)),
      [],
    );
    // Declarations only from the built-in features: config slices, message texts and the type registries.
    const declarations = /\/src\/features\/(builtin\.|registries\.|[a-z-]+\/(config|messages|registry)\.)/;
    assert.deepEqual(
      modules.filter(
        (m) => (m.includes("/src/features/") && !declarations.test(m)) || m.includes("/src/create-rampart."),
      ),
      [],
    );
    assert.ok(
      modules.some((m) => m.endsWith("/src/feature.ts")),
      "the probe sees what loads",
    );
  });

  it("a minimal app loads only its enabled features and the drivers it uses", () => {
    const modules = loaded(true);
    const pkgs = packages(modules);
    // On by default: login, sessions, profile. The others contribute only their config slice and message texts.
    for (const on of ["login", "sessions", "profile"])
      assert.ok(
        modules.some((m) => m.includes(`/src/features/${on}/index.`)),
        on,
      );
    for (const off of [
      "registration",
      "confirmation",
      "recovery",
      "change-password",
      "change-email",
      "username",
      "two-factor",
      "unified-signin",
    ]) {
      assert.deepEqual(
        modules.filter(
          (m) =>
            m.includes(`/src/features/${off}/`) &&
            !m.includes(`/src/features/${off}/config.`) &&
            !m.includes(`/src/features/${off}/messages.`),
        ),
        [],
        off,
      );
    }
    assert.ok(pkgs.has("kysely") && pkgs.has("better-sqlite3"), "SQLite is opened");
    assert.deepEqual(
      [
        "pg",
        "mysql2",
        "ioredis",
        "nodemailer",
        "qrcode",
        "libphonenumber-js",
        "@zxcvbn-ts/core",
        "@node-rs/argon2",
        "@node-rs/bcrypt",
      ].filter((p) => pkgs.has(p)),
      [],
    );
  });
});
