/**
 * A feature brings its own table, migration and store (test/fixtures/bookmarks-feature.ts), composed into an app
 * on every test database: its migration is recorded under the feature's name and runs once, whenever the
 * feature is added; data written through its route and store survives restarts; dropping the feature keeps
 * its table; the store is typed from the feature's own code.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { runMigrate } from "../../src/cli/migrate.js";
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import { MigrationRequiredError } from "../../src/core/errors.js";
import type { Feature } from "../../src/core/feature.js";
import { builtinFeatures, featureMigrations } from "../../src/features/builtin.js";
import { demoApp } from "../../src/server/demo-app.js";
import { bookmarksFeature, bookmarkStore, tagsFeature, type Bookmark } from "../fixtures/bookmarks-feature.js";
import { flowDialects, TEST_SECRET } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import { isolatedDatabaseUrl } from "../helpers/databases.js";

const EMAIL = "Mary-Jo.O+marks@Sub.Example-Host.test";
const PASSWORD = "correct horse battery staple 7";
const quiet = { info() {}, warn() {}, error() {} };

for (const dialect of flowDialects()) {
  describe(`a feature's own store and migrations: ${dialect}`, () => {
    let url: string;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ url, cleanup } = await isolatedDatabaseUrl(dialect));
    });
    after(() => cleanup());

    const open = (features: Feature[], migrations: "auto" | "check") =>
      createRampart({
        config: { secretKey: TEST_SECRET, password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } } },
        database: url,
        features,
        migrations,
        logger: quiet,
      });
    async function using<T>(rampart: Rampart, fn: (r: Rampart) => Promise<T>): Promise<T> {
      try {
        return await fn(rampart);
      } finally {
        await rampart.close();
      }
    }

    it("an app without the feature migrates Rampart's own tables only", async () => {
      await using(await open([], "auto"), async (r) => {
        await r.api.createUser({ email: EMAIL, password: PASSWORD });
      });
    });

    it("adding the feature later: its migration is pending under the feature's name and refused unmigrated", async () => {
      await assert.rejects(open([bookmarksFeature], "check"), (err: unknown) => {
        assert.ok(err instanceof MigrationRequiredError, String(err));
        assert.deepEqual(err.pending, ["bookmarks/0001_bookmark"]);
        return true;
      });
    });

    it("migrated, the feature's route writes through its store; migrating again applies nothing", async () => {
      await using(await open([bookmarksFeature], "auto"), async (r) => {
        const c = new TestClient(demoApp(r));
        const login = await c.login(EMAIL, PASSWORD);
        assert.equal(login.status, 200, login.body);
        const headers = { "x-csrf-token": login.json.response.csrf_token as string };
        const added = await c.post("/bookmarks", { json: { label: "Résumé draft" }, headers });
        assert.equal(added.status, 200, added.body);
        assert.deepEqual(
          added.json.response.bookmarks.map((b: { label: string }) => b.label),
          ["Résumé draft"],
        );
        const tooLong = await c.post("/bookmarks", { json: { label: "x".repeat(101) }, headers });
        assert.equal(tooLong.status, 400, tooLong.body);

        // Typed from the feature's code: Bookmark[] out, (number, string, Date) in.
        const user = (await r.datastore.users.findByEmail(EMAIL))!;
        const list: Bookmark[] = await r.datastore.store(bookmarkStore).list(user.id);
        assert.deepEqual(
          list.map((b) => [b.userId, b.label]),
          [[user.id, "Résumé draft"]],
        );
        // @ts-expect-error a label is a string
        void (() => r.datastore.store(bookmarkStore).add(user.id, 42, new Date()));

        const declared = await featureMigrations([...builtinFeatures, bookmarksFeature]);
        assert.deepEqual(await r.datastore.migrations.migrateToLatest(declared), [], "migrate twice is a no-op");
        assert.deepEqual(await r.datastore.migrations.pending(declared), []);
      });
    });

    it("a feature added after it whose name sorts first still runs its migration, once", async () => {
      await assert.rejects(open([bookmarksFeature, tagsFeature], "check"), (err: unknown) => {
        assert.ok(err instanceof MigrationRequiredError, String(err));
        assert.deepEqual(err.pending, ["alpha-tags/0001_tag"]);
        return true;
      });
      await using(await open([bookmarksFeature, tagsFeature], "auto"), async () => undefined);
      await using(await open([tagsFeature, bookmarksFeature], "check"), async () => undefined);
    });

    it("an app that drops the features starts, and their tables and data stay for when they return", async () => {
      await using(await open([], "check"), async (r) => {
        const user = (await r.datastore.users.findByEmail(EMAIL))!;
        assert.equal((await r.datastore.store(bookmarkStore).list(user.id)).length, 1, "table kept");
        assert.deepEqual(await r.datastore.migrations.pending(), [], "nothing pending");
      });
      // `rampart migrate` knows Rampart's own features only: the features' recorded migrations are not "missing".
      assert.deepEqual(await runMigrate({ DATABASE_URL: url }), []);
      await using(await open([bookmarksFeature], "check"), async (r) => {
        const c = new TestClient(demoApp(r));
        assert.equal((await c.login(EMAIL, PASSWORD)).status, 200);
        const listed = await c.get("/bookmarks", { acceptJson: true });
        assert.equal(listed.status, 200, listed.body);
        assert.deepEqual(
          listed.json.response.bookmarks.map((b: { label: string }) => b.label),
          ["Résumé draft"],
          "data survived the restarts",
        );
      });
    });
  });
}

/**
 * A start refused because a migration fails: the error names the migration, and nothing stays open — the
 * process ends by itself (an open PostgreSQL or MariaDB pool would keep it alive).
 */
const FAILING_START = `
  const { createRampart } = await import(${JSON.stringify(new URL("../../src/create-rampart.ts", import.meta.url).href)});
  const feature = { name: "broken", migrations: { "0001_boom": () => ({ up: async () => { throw new Error("boom"); } }) } };
  await createRampart({ config: { secretKey: "k".repeat(40) }, database: process.env.URL, features: [feature],
    migrations: "auto", logger: { info() {}, warn() {}, error() {} } }).then(
    () => console.log("started"),
    (err) => console.log("refused: " + err.message),
  );
`;
for (const dialect of flowDialects()) {
  it(`a feature migration that fails refuses the start, names it, and leaves nothing open: ${dialect}`, async () => {
    const { url, cleanup } = await isolatedDatabaseUrl(dialect);
    try {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          ["--import", "tsx", "--input-type=module", "-e", FAILING_START],
          { cwd: fileURLToPath(new URL("../..", import.meta.url)), env: { ...process.env, URL: url }, timeout: 8000 },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message} ${stdout} ${stderr}`)) : resolve(stdout)),
        );
      });
      assert.match(out, /refused: migration broken\/0001_boom failed: boom/);
    } finally {
      await cleanup();
    }
  });
}

describe("feature migration names", () => {
  it("a name that is no namespace or no NNNN_name is refused at start, naming the feature", async () => {
    const bad = (migrations: Feature["migrations"], name = "odd-one"): Feature => ({ name, migrations });
    const up: NonNullable<Feature["migrations"]>[string] = () => ({ up: async () => undefined });
    await assert.rejects(featureMigrations([bad({ "1_x": up })]), /migration "1_x" of feature "odd-one"/);
    await assert.rejects(featureMigrations([bad({ "0001_x": up }, "Odd One")]), /feature "Odd One"/);
    await assert.rejects(
      createRampart({ config: { secretKey: TEST_SECRET }, features: [bad({ "0001 x": up })], logger: quiet }),
      /migration "0001 x" of feature "odd-one" must be named NNNN_name/,
    );
  });
});
