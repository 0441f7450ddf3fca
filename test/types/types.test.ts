import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { after, it } from "node:test";

/**
 * Type-level tests: tsc must accept test/types/*.ts, whose `@ts-expect-error` lines mark what must not typecheck
 * (an unused one is an error too, so a type that became too loose fails here).
 */
it("declared user fields and the public user view are typed end to end (tsc)", { timeout: 120_000 }, () => {
  const root = new URL("../..", import.meta.url).pathname;
  const tsc = spawnSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, "-p", "test/types/tsconfig.json"],
    { cwd: root, encoding: "utf8" },
  );
  assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
});

/**
 * Express and Fastify type `req.rampart` globally, so an app registers its fields once with
 * `declare module "rampart" { interface Register { userFields } }`. Checked against the built package (as an
 * app sees it): the sources are built into a scratch node_modules/rampart, never into the checkout's dist/.
 */
it("an app's registered fields type Express's and Fastify's req.rampart (built package)", { timeout: 180_000 }, () => {
  checkAppAgainstBuiltPackage("test/types/registered-fields.app.txt");
});

/**
 * The app-facing config type of the published package carries every built-in feature's slice (their files
 * register themselves by declaration merging, which the package's types must load).
 */
it(
  "the built package types every feature's config slice: a misspelt key does not compile",
  { timeout: 180_000 },
  () => {
    checkAppAgainstBuiltPackage("test/types/config-slices.app.txt");
  },
);

/**
 * An app's own feature, written against the published "rampart/feature": its slice, message keys and audit
 * event join Rampart's registries through the package's types (a misspelt one does not compile).
 */
it("an app's feature typechecks against the built rampart/feature, registries included", { timeout: 180_000 }, () => {
  checkAppAgainstBuiltPackage("test/types/app-feature.app.txt");
});

const root = new URL("../..", import.meta.url).pathname;
const tsc = (args: string[]) =>
  spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, ...args], { cwd: root, encoding: "utf8" });

/**
 * A scratch app directory whose node_modules/rampart is the sources built once (never into the checkout's dist/);
 * the tests above share it, each typechecking its own app file in it.
 */
let scratch: string | null = null;
after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function builtPackageScratch(): string {
  if (scratch) return scratch;
  const dir = mkdtempSync(join(root, ".types-scratch-"));
  scratch = dir;
  const pkg = join(dir, "node_modules", "rampart");
  mkdirSync(pkg, { recursive: true });
  cpSync(join(root, "package.json"), join(pkg, "package.json"));
  const build = tsc(["-p", "tsconfig.build.json", "--outDir", join(pkg, "dist")]);
  assert.equal(build.status, 0, `build:\n${build.stdout}${build.stderr}`);
  // The app's own package.json: without it the checkout's (name "rampart") is the nearest one, and "rampart"
  // resolves to the checkout's dist/ by self-reference instead of the build above.
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "types-scratch-app", private: true, type: "module" }),
  );
  return dir;
}

/** Typechecks `appFile` as an app of the built package (alone: its own tsconfig includes only it). */
function checkAppAgainstBuiltPackage(appFile: string): void {
  const dir = builtPackageScratch();
  const name = basename(appFile, ".app.txt");
  cpSync(join(root, appFile), join(dir, `${name}.ts`));
  writeFileSync(
    join(dir, `tsconfig.${name}.json`),
    JSON.stringify({
      extends: "../tsconfig.json",
      compilerOptions: { noEmit: true, declaration: false, rootDir: "." },
      include: [`${name}.ts`],
    }),
  );
  const check = tsc(["-p", join(dir, `tsconfig.${name}.json`)]);
  assert.equal(check.status, 0, `tsc:\n${check.stdout}${check.stderr}`);
}
