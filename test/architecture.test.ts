import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * The layers of src/ (docs/architecture.md): core ← kit ← features. The core imports no kit and no feature code,
 * the kit imports the core but no feature, a feature imports the core and the kit but no other feature, and the
 * libraries below the core (crypto, datastore, mail, sms, pages) import none of the three layers above them but
 * the core's config, errors and declared names (methods.ts). Only the composition (create-rampart, load-config, index, cli, server, adapters)
 * may import everything. Test code (*.test.ts, testing/ and conformance/ folders) is exempt.
 */
const SRC = fileURLToPath(new URL("../src/", import.meta.url));

type Sources = Map<string, string>; // path under src/ → text

function readSources(dir = SRC): Sources {
  const out: Sources = new Map();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) out.set(relative(SRC, p).split("\\").join("/"), readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

const isTestCode = (path: string) => /\.test\.ts$|(^|\/)(testing|conformance)\//.test(path);

/** Every relative module a file names: import/export … from, import(), side-effect imports, declare module. */
function importsOf(path: string, text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom|\bimport|\bimport\(|\bdeclare module)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;
  for (const m of text.matchAll(pattern))
    found.push(
      relative(SRC, resolve(SRC, dirname(path), m[1]!))
        .split("\\")
        .join("/"),
    );
  return found;
}

/** The layer of a path under src/, and for a feature its name. */
function layerOf(path: string): { layer: string; feature?: string } {
  const [top, second] = path.split("/");
  if (top === "features")
    return second && second.includes(".") ? { layer: "features" } : { layer: "feature", feature: second };
  if (top === "core" || top === "kit") return { layer: top };
  if (["crypto", "datastore", "mail", "sms", "pages"].includes(top!)) return { layer: "library" };
  return { layer: "composition" };
}

/** What a module of each layer must not import (a reason per rule). */
function violation(from: string, to: string): string | null {
  const a = layerOf(from);
  const b = layerOf(to);
  const upper = b.layer === "kit" || b.layer === "feature" || b.layer === "features";
  if (a.layer === "core" && upper) return "the core imports no kit or feature code";
  if (a.layer === "kit" && (b.layer === "feature" || b.layer === "features")) return "the kit imports no feature code";
  if (a.layer === "feature" && b.layer === "feature" && a.feature !== b.feature)
    return "features never import each other";
  if (a.layer === "feature" && b.layer === "features") return "a feature does not import the built-in registry";
  if (
    a.layer === "library" &&
    (upper || (b.layer === "core" && !/^core\/(config\/|errors\.|runtime\.|methods\.)/.test(to)))
  )
    return "libraries below the core import only its config, errors, runtime types and method names";
  if (a.layer !== "composition" && b.layer === "composition") return "nothing imports the composition back";
  return null;
}

function violations(sources: Sources): string[] {
  const out: string[] = [];
  for (const [path, text] of sources) {
    if (isTestCode(path)) continue;
    for (const target of importsOf(path, text)) {
      const why = violation(path, target);
      if (why) out.push(`${path} → ${target}: ${why}`);
    }
  }
  return out;
}

describe("layers of src/ (core ← kit ← features)", () => {
  const sources = readSources();

  it("no module imports across its layer's boundary", () => {
    assert.deepEqual(violations(sources), []);
  });

  it("reads the real graph: features import the kit and the core, the kit imports the core", () => {
    const edges = [...sources].flatMap(([path, text]) =>
      isTestCode(path) ? [] : importsOf(path, text).map((to) => [layerOf(path).layer, layerOf(to).layer].join("→")),
    );
    for (const edge of ["feature→kit", "feature→core", "kit→core", "core→core", "composition→features"])
      assert.ok(edges.includes(edge), edge);
  });

  it("every kit module is used by a feature (a module only the core needs belongs in the core)", () => {
    const used = new Set(
      [...sources].flatMap(([path, text]) => (layerOf(path).layer === "feature" ? importsOf(path, text) : [])),
    );
    // A kit module may be reached through another kit module (passcodes/config.ts through passcodes/index.ts).
    for (const [path, text] of sources) if (path.startsWith("kit/")) for (const t of importsOf(path, text)) used.add(t);
    const kit = [...sources.keys()].filter((p) => p.startsWith("kit/") && !isTestCode(p));
    assert.ok(kit.length > 0, "the kit exists");
    assert.deepEqual(
      kit.filter((p) => !used.has(p.replace(/\.ts$/, ".js"))),
      [],
    );
  });

  it("catches each kind of crossing (static, type-only, dynamic, declare module)", () => {
    const planted: Sources = new Map([
      ["core/bad-static.ts", 'import { x } from "../features/login/login.js";'],
      ["core/bad-type.ts", 'import type { Y } from "../kit/schemas.js";'],
      ["core/bad-dynamic.ts", 'const m = await import("../features/change-password/index.js");'],
      ["kit/bad.ts", 'declare module "../features/sessions/registry.js" {}'],
      ["features/login/bad.ts", 'export { z } from "../sessions/sessions.js";'],
      ["mail/bad.ts", 'import "../kit/mail-delivery.js";'],
      ["core/bad.test.ts", 'import { x } from "../features/login/login.js";'],
      [
        "features/login/good.ts",
        'import { x } from "../../kit/schemas.js";\nimport { y } from "../../core/render.js";',
      ],
    ]);
    assert.deepEqual(
      violations(planted).map((v) => v.split(" → ")[0]),
      [
        "core/bad-static.ts",
        "core/bad-type.ts",
        "core/bad-dynamic.ts",
        "kit/bad.ts",
        "features/login/bad.ts",
        "mail/bad.ts",
      ],
    );
  });
});
