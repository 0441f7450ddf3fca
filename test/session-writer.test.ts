import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * Every session begins, continues, is re-issued and ends through one module, src/core/session-writer.ts (see
 * docs/architecture.md, "One sign-in"). This reads the sources: another place that makes a session, or that
 * changes who the request's caller is, fails here and should become (or call) an operation of the writer.
 */
const SRC = fileURLToPath(new URL("../src", import.meta.url));
const WRITER = "core/session-writer.ts";

function sources(dir: string, out: { path: string; text: string }[] = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts"))
      out.push({ path: relative(SRC, p).split("\\").join("/"), text: readFileSync(p, "utf8") });
  }
  return out;
}

/** Files (and how often) where `pattern` occurs, the files `skip` names left out. */
function occurrences(pattern: RegExp, skip: (path: string) => boolean = () => false): Record<string, number> {
  const found: Record<string, number> = {};
  for (const { path, text } of sources(SRC)) {
    const n = text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
    if (n && !skip(path)) found[path] = n;
  }
  return found;
}

describe("one session writer", () => {
  it("startSession is the writer's own, defined once and called from one place", () => {
    assert.deepEqual(occurrences(/\bstartSession\(/), { [WRITER]: 2 });
  });

  it("no module but the writer (and the stores themselves) creates a session record", () => {
    const stores = (path: string) => path.startsWith("datastore/");
    assert.deepEqual(occurrences(/sessions\.create\(/, stores), { [WRITER]: 1 });
  });

  it("the request's caller is changed by the writer only (no settable override on the context)", () => {
    assert.deepEqual(occurrences(/sessionOverride/), {});
    assert.deepEqual(Object.keys(occurrences(/\bwritten\.set\(/)), [WRITER]);
  });

  it("only the sign-in pipeline begins a session for a sign-in", () => {
    const importers = Object.keys(occurrences(/\bbeginSignInSession\b/, (path) => path === WRITER));
    assert.equal(importers.length, 1, `begun outside the pipeline: ${importers.join(", ")}`);
    const pipeline = sources(SRC).find((f) => f.path === importers[0]);
    assert.match(pipeline?.text ?? "", /class SignInPipeline\b/);
  });
});
