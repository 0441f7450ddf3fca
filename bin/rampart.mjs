#!/usr/bin/env node
// The `rampart` executable. In a source checkout (src/ present, tsx installed) it runs the TypeScript sources
// through tsx, so `npx rampart` and `npm start` never run a stale build; an installed package (no src/) runs the
// compiled CLI. RAMPART_FROM_DIST=1 forces the build.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/cli/index.js", import.meta.url);
const source = new URL("../src/cli/index.ts", import.meta.url);
const forceDist = /^(1|true|yes)$/i.test(process.env.RAMPART_FROM_DIST ?? "");
const fromSource = !existsSync(fileURLToPath(compiled)) || (!forceDist && existsSync(fileURLToPath(source)));

let cli;
if (fromSource) {
  let register;
  try {
    ({ register } = await import("tsx/esm/api"));
  } catch {
    process.stderr.write(
      "rampart: dist/cli/index.js is missing and tsx is not installed: run `npm run build` (or `npm install` for tsx).\n",
    );
    process.exit(1);
  }
  register();
  cli = await import(source.href);
} else {
  cli = await import(compiled.href);
}
await cli.main(process.argv);
