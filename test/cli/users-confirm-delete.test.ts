/**
 * The real `rampart` binary with confirmation on: `users create` says (stderr) when the new user cannot sign in
 * yet and offers --confirmed; `users confirm`, `users delete` and `users list --json`. Whether a user can sign
 * in is checked by signing in, in-process, against the same database file.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { createRampart } from "../../src/create-rampart.js";
import { TestClient } from "../helpers/client.js";
import { cliOk, runCli, tempDir, TEST_SECRET_KEY } from "./helpers.js";

const PASSWORD = "a fine long password";

describe("rampart users with confirmation on (SQLite file)", { timeout: 120_000 }, () => {
  let env: Record<string, string>;
  let dbUrl: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    dbUrl = `sqlite://${join(tmp.dir, "users.db")}`;
    env = {
      DATABASE_URL: dbUrl,
      SECRET_KEY: TEST_SECRET_KEY,
      SECURITY_CONFIRMABLE: "true",
      SECURITY_REGISTERABLE: "true",
      RAMPART_DEVELOPMENT: "true",
    };
    await cliOk(["migrate"], env);
  });
  after(async () => {
    await cleanup();
  });

  /** Signs in with JSON through an in-process Rampart on the same database; returns the HTTP status. */
  async function signIn(email: string): Promise<number> {
    const rampart = await createRampart({
      config: {
        secretKey: TEST_SECRET_KEY,
        baseUrl: "https://app.test",
        development: true,
        confirmation: { enabled: true },
        password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
      },
      database: dbUrl,
      logger: { info() {}, warn() {}, error() {} },
    });
    try {
      return (await new TestClient(rampart.fetch).login(email, PASSWORD)).status;
    } finally {
      await rampart.close();
    }
  }

  it("create --active without --confirmed: created, and stderr says the user cannot sign in until confirmed", async () => {
    const r = await runCli(
      ["users", "create", "First.Last+ops@Sub.Example.test", "--password", PASSWORD, "--active"],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /User created successfully/);
    assert.match(r.stderr, /cannot sign in yet/);
    assert.match(r.stderr, /not confirmed/);
    assert.match(
      r.stderr,
      /rampart users confirm First\.Last\+ops@sub\.example\.test/,
      "the command to run, with the stored address",
    );
    assert.match(r.stderr, /--confirmed/);
    assert.equal(await signIn("first.last+ops@sub.example.test"), 400, "confirmation is required");
  });

  it("create without --active says the user is inactive", async () => {
    const r = await runCli(["users", "create", "idle-user@x.test", "--password", PASSWORD, "--confirmed"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /cannot sign in yet/);
    assert.match(r.stderr, /inactive/);
    assert.match(r.stderr, /rampart users activate idle-user@x\.test/);
  });

  it("create --active --confirmed: no warning, and the user signs in", async () => {
    const r = await runCli(
      ["users", "create", "ready.user@x.test", "--password", PASSWORD, "--active", "--confirmed"],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /cannot sign in/);
    assert.match(r.stdout, /confirmed: true/);
    assert.equal(await signIn("ready.user@x.test"), 200);
  });

  it("users confirm confirms once, then says it already was; the user then signs in", async () => {
    assert.match(await cliOk(["users", "confirm", "first.last+ops@sub.example.test"], env), /has been confirmed/);
    assert.match(await cliOk(["users", "confirm", "FIRST.LAST+ops@sub.example.test"], env), /was already confirmed/);
    assert.equal(await signIn("first.last+ops@sub.example.test"), 200);
    const missing = await runCli(["users", "confirm", "nobody@x.test"], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /User not found/);
  });

  it("users list --json prints machine-readable users without secrets", async () => {
    const out = await cliOk(["users", "list", "--json"], env);
    const users = JSON.parse(out) as Record<string, unknown>[];
    const ready = users.find((u) => u.email === "ready.user@x.test")!;
    assert.equal(ready.active, true);
    assert.equal(ready.confirmed, true);
    assert.equal(typeof ready.confirmedAt, "string");
    assert.deepEqual(ready.roles, []);
    assert.equal(typeof ready.id, "number");
    const idle = users.find((u) => u.email === "idle-user@x.test")!;
    assert.equal(idle.active, false);
    assert.ok(!out.includes("$argon2"), "no password hash");
    assert.ok(!/uniquifier/i.test(out));
  });

  it("users delete needs --yes, then removes the user (sessions and roles too)", async () => {
    const refused = await runCli(["users", "delete", "ready.user@x.test"], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    assert.match(await cliOk(["users", "delete", "ready.user@x.test", "--yes"], env), /has been deleted/);
    const again = await runCli(["users", "delete", "ready.user@x.test", "--yes"], env);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /User not found/);
    const list = JSON.parse(await cliOk(["users", "list", "--json"], env)) as { email: string }[];
    assert.ok(!list.some((u) => u.email === "ready.user@x.test"));
    assert.equal(await signIn("ready.user@x.test"), 400);
    assert.match(await cliOk(["audit", "list", "--event", "user_deleted"], env), /ready\.user@x\.test/);
  });
});
