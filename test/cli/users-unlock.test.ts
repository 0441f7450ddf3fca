/**
 * `rampart users unlock USER` (the real binary, a temp SQLite file): lifts a lockout that sign-in attempts over
 * HTTP caused, audited as user_unlocked; a user that is not locked is told so.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import { cliOk, runCli, tempDir, TEST_SECRET_KEY } from "./helpers.js";

const PASSWORD = "alice password 1";

/** A JSON sign-in through the app, with the CSRF token and cookie a browser would have. */
async function login(rampart: Rampart, email: string, password: string): Promise<Response> {
  const form = await rampart.fetch(new Request("https://app.test/login", { headers: { accept: "application/json" } }));
  const cookie = form.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const csrf = ((await form.json()) as { response: { csrf_token: string } }).response.csrf_token;
  return rampart.fetch(
    new Request("https://app.test/login", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", cookie, "x-csrf-token": csrf },
      body: JSON.stringify({ email, password }),
    }),
  );
}

describe("rampart users unlock", () => {
  let env: Record<string, string>;
  let dbUrl: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    dbUrl = `sqlite://${join(tmp.dir, "unlock.db")}`;
    env = { DATABASE_URL: dbUrl, SECRET_KEY: TEST_SECRET_KEY };
    await cliOk(["migrate"], env);
    await cliOk(["users", "create", "Alice.Lock-1+x@Example.com", "--password", PASSWORD, "--active"], env);
  });
  after(() => cleanup());

  it("five wrong passwords lock the account; `users unlock` lifts it at once; a second unlock says it was not locked", async () => {
    const rampart = await createRampart({
      config: { secretKey: TEST_SECRET_KEY, baseUrl: "https://app.test" },
      database: dbUrl,
      logger: { info() {}, warn() {}, error() {} },
    });
    try {
      for (let i = 0; i < 5; i++)
        assert.equal((await login(rampart, "alice.lock-1+x@example.com", `wrong ${i}`)).status, 400);
      const locked = await login(rampart, "alice.lock-1+x@example.com", PASSWORD);
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers.get("retry-after")) > 0);

      const out = await cliOk(["users", "unlock", "ALICE.LOCK-1+X@example.com"], env);
      assert.match(out, /has been unlocked/);
      assert.equal((await login(rampart, "alice.lock-1+x@example.com", PASSWORD)).status, 200);
      assert.match(await cliOk(["users", "unlock", "alice.lock-1+x@example.com"], env), /was not locked/);
      const audit = await cliOk(["audit", "list", "--user", "alice.lock-1+x@example.com"], env);
      assert.match(audit, /user_unlocked/);
      assert.match(audit, /user_locked/);
      const missing = await runCli(["users", "unlock", "nobody@example.com"], env);
      assert.equal(missing.code, 2, missing.stderr);
      assert.match(missing.stderr, /User not found/);
    } finally {
      await rampart.close();
    }
  });
  it("with its counters in a Redis that does not answer: exit 1, the store named, never an 'unexpected error'", async () => {
    const r = await runCli(["users", "unlock", "alice.lock-1+x@example.com"], {
      ...env,
      RATE_LIMIT_STORE: "redis",
      RATE_LIMIT_REDIS_URL: "redis://127.0.0.1:1",
      RAMPART_REDIS_CONNECT_TIMEOUT_MS: "300",
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /rate-limit store unavailable/);
    assert.match(r.stderr, /Try again once it answers/);
    assert.doesNotMatch(r.stderr, /Unexpected error|\n\s+at /);
  });
});
