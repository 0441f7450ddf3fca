/**
 * The real `rampart` binary against a temp SQLite file: migrate, users, roles, audit, secrets, and the exit
 * codes (2 for usage/validation errors).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { createRampart } from "../../src/create-rampart.js";
import { runtimeOf } from "../../src/internal.js";
import { BIN, cliOk, runCli, runEntry, tempDir, TEST_SECRET_KEY } from "./helpers.js";

describe("rampart CLI commands (SQLite file)", () => {
  let env: Record<string, string>;
  let dbUrl: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    dbUrl = `sqlite://${join(tmp.dir, "cli.db")}`;
    env = { DATABASE_URL: dbUrl, SECRET_KEY: TEST_SECRET_KEY };
  });
  after(async () => {
    await cleanup();
  });

  it("refuses an unmigrated database, naming `rampart migrate`", async () => {
    const r = await runCli(["users", "list"], env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /rampart migrate/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  });

  it("migrate applies the migrations, then reports up to date", async () => {
    const first = await cliOk(["migrate"], env);
    assert.match(first, /Applied \d+ migration/);
    const second = await cliOk(["migrate"], env);
    assert.match(second, /up to date/);
  });

  it("roles create with description and permissions; roles list shows them", async () => {
    const out = await cliOk(["roles", "create", "admin", "-d", "Administrators", "-p", "users:read,users:write"], env);
    assert.match(out, /Role "admin" created successfully/);
    const list = await cliOk(["roles", "list"], env);
    assert.match(list, /admin\s+Administrators\s+users:read,users:write/);
    const dup = await runCli(["roles", "create", "admin"], env);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /already exists/);
  });

  it("users create: active, with a role, password masked", async () => {
    const out = await cliOk(
      ["users", "create", "alice@example.com", "--password", "alice password 1", "--active", "--role", "admin"],
      env,
    );
    assert.match(out, /^User created successfully\./);
    assert.match(out, /email: alice@example\.com/);
    assert.match(out, /password: \*{4}/);
    assert.match(out, /active: true/);
    assert.match(out, /roles: admin/);
    assert.doesNotMatch(out, /alice password 1/);
  });

  it("users create: a duplicate email exits 2", async () => {
    const r = await runCli(["users", "create", "ALICE@example.com", "--password", "whatever password"], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already exists/);
  });

  it("users create: password policy, unknown attribute, unknown role and missing password exit 2", async () => {
    const [short, attr, role, noPassword, noArgs] = await Promise.all([
      runCli(["users", "create", "bob@example.com", "--password", "short"], env),
      runCli(["users", "create", "bob@example.com", "shoe_size:42", "--password", "bob password 1"], env),
      runCli(["users", "create", "bob@example.com", "--password", "bob password 1", "--role", "nope"], env),
      runCli(["users", "create", "bob@example.com"], env),
      runCli(["users", "create"], env),
    ]);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 8 characters/);
    assert.equal(attr.code, 2);
    assert.match(attr.stderr, /Unknown attribute "shoe_size"/);
    assert.equal(role.code, 2);
    assert.match(role.stderr, /Cannot find role/);
    assert.equal(noPassword.code, 2);
    assert.match(noPassword.stderr, /--password/);
    assert.equal(noArgs.code, 2);
  });

  it("users create: inactive by default (Flask-Security semantics), attr:value pairs", async () => {
    const out = await cliOk(["users", "create", "email:bob@example.com", "--password", "bob password 1"], env);
    assert.match(out, /active: false/);
  });

  it("users create / change-password with zxcvbn on and an address full of pattern characters: the policy answers, never a crash", async () => {
    const zx = { ...env, SECURITY_PASSWORD_COMPLEXITY_CHECKER: "zxcvbn" };
    const email = "mary-jane+a{b}|c?@x-y.test";
    const weak = await runCli(["users", "create", email, "--password", "mary-jane2024!!"], zx);
    assert.equal(weak.code, 2, weak.stderr);
    assert.match(weak.stderr, /not complex enough/);
    assert.doesNotMatch(weak.stderr, /\n\s+at /, "no stack trace");
    assert.match(
      await cliOk(["users", "create", email, "--password", "vivid lanterns orbit quietly"], zx),
      /User created successfully/,
    );
    const weakChange = await runCli(["users", "change-password", email, "--password", "mary-jane2024!!"], zx);
    assert.equal(weakChange.code, 2, weakChange.stderr);
    assert.match(weakChange.stderr, /not complex enough/);
    assert.match(
      await cliOk(["users", "change-password", email, "--password", "amber kettles drift sideways"], zx),
      /has been changed/,
    );
  });

  it("users create --username: a look-alike of a taken username and a mixed-script one exit 2", async () => {
    assert.match(
      await cliOk(
        ["users", "create", "carl@example.com", "--password", "carl password 1", "--username", "carlos"],
        env,
      ),
      /User created successfully/,
    );
    const [lookalike, mixed] = await Promise.all([
      runCli(
        ["users", "create", "carl2@example.com", "--password", "carl password 1", "--username", "c\u0251rlos"],
        env,
      ),
      runCli(
        ["users", "create", "carl3@example.com", "--password", "carl password 1", "--username", "c\u0430rlos"],
        env,
      ),
    ]);
    assert.equal(lookalike.code, 2, lookalike.stderr);
    assert.match(lookalike.stderr, /Already exists: a user with that username/);
    assert.equal(mixed.code, 2, mixed.stderr);
    assert.match(mixed.stderr, /cannot mix letters of different alphabets/);
  });

  it("users list shows id, email, active, confirmed and roles", async () => {
    const out = await cliOk(["users", "list"], env);
    const lines = out.trim().split("\n");
    assert.match(lines[0]!, /id\s+email\s+username\s+active\s+confirmed\s+roles/);
    assert.ok(
      lines.some((l) => /^\d+\s+alice@example\.com\s+yes\s+no\s+admin$/.test(l)),
      out,
    );
    assert.ok(
      lines.some((l) => /^\d+\s+bob@example\.com\s+no\s+no$/.test(l)),
      out,
    );
  });

  it("deactivate / activate report the change or that nothing changed", async () => {
    assert.match(await cliOk(["users", "deactivate", "alice@example.com"], env), /has been deactivated/);
    assert.match(await cliOk(["users", "deactivate", "alice@example.com"], env), /was already deactivated/);
    assert.match(await cliOk(["users", "activate", "alice@example.com"], env), /has been activated/);
    assert.match(await cliOk(["users", "activate", "alice@example.com"], env), /was already activated/);
  });

  it("change-password (and the change_password alias): the new password verifies in-process", async () => {
    const out = await cliOk(["users", "change-password", "alice@example.com", "--password", "a brand new secret"], env);
    assert.match(out, /has been changed/);
    const short = await runCli(["users", "change_password", "alice@example.com", "--password", "tiny"], env);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 8 characters/);

    const rampart = await createRampart({
      config: { secretKey: TEST_SECRET_KEY },
      database: dbUrl,
      logger: { info() {}, warn() {}, error() {} },
    });
    try {
      const user = await rampart.api.findUser("alice@example.com");
      assert.ok(user);
      assert.equal((await runtimeOf(rampart).hasher.verify("a brand new secret", user.password)).valid, true);
      assert.equal((await runtimeOf(rampart).hasher.verify("alice password 1", user.password)).valid, false);
    } finally {
      await rampart.close();
    }
  });

  it("roles add / remove, including the already-has / has-not cases", async () => {
    assert.match(await cliOk(["roles", "add", "bob@example.com", "admin"], env), /added to user "bob@example.com"/);
    assert.match(await cliOk(["roles", "add", "bob@example.com", "admin"], env), /already has role/);
    assert.match(await cliOk(["users", "list"], env), /bob@example\.com\s+no\s+no\s+admin/);
    assert.match(
      await cliOk(["roles", "remove", "bob@example.com", "admin"], env),
      /removed from user "bob@example.com"/,
    );
    assert.match(await cliOk(["roles", "remove", "bob@example.com", "admin"], env), /does not have role/);
  });

  it("add-permissions / remove-permissions (and the underscore aliases)", async () => {
    assert.match(
      await cliOk(["roles", "add-permissions", "admin", "audit:read, users:read"], env),
      /permissions: users:read, users:write, audit:read/,
    );
    assert.match(
      await cliOk(["roles", "remove_permissions", "admin", "users:write"], env),
      /permissions: users:read, audit:read/,
    );
    assert.match(await cliOk(["roles", "add_permissions", "admin", "x"], env), /x/);
    assert.match(await cliOk(["roles", "list"], env), /admin\s+Administrators\s+users:read,audit:read,x/);
  });

  it("unknown users and roles exit 2 with a clear message", async () => {
    // One after another: nine processes opening one SQLite file at once can outlast the busy timeout on a
    // loaded machine, which would test the machine rather than the refusal.
    const userCases = [
      ["users", "activate", "nobody@example.com"],
      ["users", "deactivate", "nobody@example.com"],
      ["users", "reset-access", "nobody@example.com"],
      ["users", "change-password", "nobody@example.com", "--password", "long enough pw"],
      ["roles", "add", "nobody@example.com", "admin"],
      ["roles", "remove", "nobody@example.com", "admin"],
    ];
    const roleCases = [
      ["roles", "add", "alice@example.com", "ghost"],
      ["roles", "add-permissions", "ghost", "p"],
      ["roles", "remove-permissions", "ghost", "p"],
    ];
    const results = [];
    for (const args of [...userCases, ...roleCases]) results.push(await runCli(args, env));
    results.forEach((r, i) => {
      const label = [...userCases, ...roleCases][i]!.join(" ");
      assert.equal(r.code, 2, label);
      assert.match(r.stderr, i < userCases.length ? /User not found/ : /Cannot find role/, label);
    });
  });

  it("reset-access (and reset_access) succeeds", async () => {
    assert.match(await cliOk(["users", "reset-access", "alice@example.com"], env), /has been reset/);
    assert.match(await cliOk(["users", "reset_access", "alice@example.com"], env), /has been reset/);
  });

  it("audit list prints recent events, filtered by user", async () => {
    const all = await cliOk(["audit", "list", "--limit", "100"], env);
    for (const event of [
      "user_created",
      "role_created",
      "user_deactivated",
      "password_changed",
      "role_added",
      "access_reset",
    ]) {
      assert.match(all, new RegExp(event));
    }
    const bob = await cliOk(["audit", "list", "--user", "bob@example.com"], env);
    assert.match(bob, /bob@example\.com/);
    assert.doesNotMatch(bob, /alice@example\.com/);
    const one = await cliOk(["audit", "list", "--limit", "1"], env);
    assert.equal(one.trim().split("\n").length, 3, one);
  });

  it("secrets generate prints SECRET_KEY and SECURITY_PASSWORD_SALT lines", async () => {
    const out = await cliOk(["secrets", "generate"], {});
    const m = /^SECRET_KEY=([A-Za-z0-9_-]{43})\nSECURITY_PASSWORD_SALT=([A-Za-z0-9_-]{32})\n$/.exec(out);
    assert.ok(m, out);
    const again = await cliOk(["secrets", "generate"], {});
    assert.notEqual(again, out);
  });

  it("usage errors exit 2; help exits 0", async () => {
    const [bogus, badLimit, help] = await Promise.all([
      runCli(["bogus"], env),
      runCli(["users", "list", "--limit", "abc"], env),
      runCli(["--help"], env),
    ]);
    assert.equal(bogus.code, 2);
    assert.equal(badLimit.code, 2);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /serve/);
    assert.match(help.stdout, /migrate/);
  });

  it("an unsupported DATABASE_URL exits 2", async () => {
    const r = await runCli(["users", "list"], { ...env, DATABASE_URL: "oracle://x" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /DATABASE_URL/);
  });

  it("bin/rampart.mjs itself (the other tests run a bundle of the same sources) runs the sources: list, then a usage error", async () => {
    const [list, bogus] = await Promise.all([runEntry(BIN, ["users", "list"], env), runEntry(BIN, ["bogus"], env)]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(bogus.code, 2);
  });
});
