/**
 * The `rampart` CLI as one esbuild bundle of the checkout's current sources, so a test that starts it dozens of
 * times pays the TypeScript load once instead of on every start (tsx compiles and loads ~300 modules per process).
 * Most packages are bundled too (loading hundreds of small package files is most of what remains of a start); the
 * native ones and those the sources load with require() at run time stay external. The bundle lives inside the
 * checkout's node_modules/.cache, so those resolve from this checkout's node_modules by Node's ordinary lookup: a
 * bundle in a shared directory such as /tmp was once reused by another clone of the same commit whose node_modules
 * was gone, and every CLI test failed. The bundle is keyed by a hash of bin/, src/ and package-lock.json: a changed
 * source or dependency is a new bundle, never a stale one.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

function sourceHash(root: string): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (!entry.name.endsWith(".test.ts")) hash.update(p.slice(root.length)).update("\0").update(readFileSync(p));
    }
  };
  walk(join(root, "src"));
  walk(join(root, "bin"));
  const lock = join(root, "package-lock.json");
  if (existsSync(lock)) hash.update("package-lock.json\0").update(readFileSync(lock));
  return hash.digest("hex").slice(0, 20);
}

const built = new Map<string, Promise<string>>();

/** Path of an executable entry (`node <path> ...args` runs `rampart ...args`), built on first use. */
export function cliBundle(root: string): Promise<string> {
  let p = built.get(root);
  if (!p) {
    p = buildBundle(root);
    built.set(root, p);
  }
  return p;
}

async function buildBundle(root: string): Promise<string> {
  const dir = join(root, "node_modules", ".cache", `rampart-cli-bundle-${sourceHash(root)}`);
  const entry = join(dir, "rampart.mjs");
  if (existsSync(entry)) return entry;
  // Built aside and renamed into place, so parallel test files never see half a bundle.
  const work = `${dir}.${process.pid}.${Date.now()}`;
  mkdirSync(work, { recursive: true });
  await build({
    entryPoints: [join(root, "src/cli/index.ts")],
    outfile: join(work, "cli.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["@node-rs/*", "better-sqlite3", "pg", "mysql2", "ioredis", "nodemailer", "unixcrypt"],
    // Bundled CommonJS packages call require() for Node's own modules.
    banner: {
      js: 'import { createRequire as __rampartRequire } from "node:module";\nconst require = __rampartRequire(import.meta.url);',
    },
    logLevel: "error",
  });
  // What bin/rampart.mjs does once it has the CLI module.
  writeFileSync(join(work, "rampart.mjs"), 'const cli = await import("./cli.mjs");\nawait cli.main(process.argv);\n');
  try {
    renameSync(work, dir);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    // Another test file won the race (same sources, same bundle); anything else is a real failure.
    if (!existsSync(entry)) throw err;
  }
  return entry;
}
