/**
 * `rampart serve` as a real process: refusals (no SECRET_KEY, unmigrated database), development mode (secret
 * persisted next to the SQLite file and reused), and the whole flow over real HTTP — users created with the
 * CLI, JSON login with CSRF, protected and role-guarded routes — on SQLite, PostgreSQL and MariaDB.
 */
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createRampart } from "../../src/create-rampart.js";
import { RedisSessionStore } from "../../src/datastore/redis-sessions.js";
import { TestClient } from "../helpers/client.js";
import { isolatedDatabaseUrl, testServerUrl } from "../helpers/databases.js";
import { cliOk, runCli, startServe, tempDir, TEST_SECRET_KEY, type ServeProcess } from "./helpers.js";
import { startPrivateRedis } from "../helpers/private-redis.js";

function httpClient(server: ServeProcess): TestClient {
  return new TestClient((request) => fetch(request), server.url);
}

/** Signs in as an SPA does and checks the demo routes; returns the client holding the session cookie. */
async function loginFlow(server: ServeProcess, email: string, password: string): Promise<TestClient> {
  const client = httpClient(server);
  const page = await client.get("/login", { acceptJson: true });
  assert.equal(page.status, 200);
  const csrf = page.json.response.csrf_token as string;
  assert.ok(csrf);

  const noCsrf = await client.post("/login", { json: { email, password } });
  assert.equal(noCsrf.status, 400, noCsrf.body);

  const wrong = await client.post("/login", {
    json: { email, password: password + "x" },
    headers: { "x-csrf-token": csrf },
  });
  assert.equal(wrong.status, 400, wrong.body);

  const ok = await client.post("/login", { json: { email, password }, headers: { "x-csrf-token": csrf } });
  assert.equal(ok.status, 200, ok.body);
  assert.ok(
    [...client.jar.keys()].some((k) => k.includes("session")),
    `session cookie in ${[...client.jar.keys()].join(",")}`,
  );

  const anonymous = await httpClient(server).get("/api/protected", { acceptJson: true });
  assert.equal(anonymous.status, 401);

  const prot = await client.get("/api/protected", { acceptJson: true });
  assert.equal(prot.status, 200, prot.body);
  assert.equal(prot.json.response.message, `Hello ${email}`);
  return client;
}

describe("rampart serve", () => {
  describe("refusals", { concurrency: true }, () => {
    it("refuses to start without SECRET_KEY outside development (exit 2, naming SECRET_KEY)", async () => {
      const tmp = await tempDir();
      try {
        const r = await runCli(["serve", "--port", "0"], { DATABASE_URL: `sqlite://${join(tmp.dir, "x.db")}` });
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, /SECRET_KEY/);
        assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      } finally {
        await tmp.cleanup();
      }
    });

    it("reports every bad setting at once (exit 2)", async () => {
      const tmp = await tempDir();
      try {
        const r = await runCli(["serve", "--port", "0"], {
          DATABASE_URL: `sqlite://${join(tmp.dir, "x.db")}`,
          SECRET_KEY: TEST_SECRET_KEY,
          SECURITY_TOKEN_MAX_AGE: "0",
          SECURITY_NOT_A_SETTING: "1",
        });
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, /SECURITY_TOKEN_MAX_AGE/);
        assert.match(r.stderr, /SECURITY_NOT_A_SETTING/);
      } finally {
        await tmp.cleanup();
      }
    });

    it("refuses an unmigrated database (exit 2, run: rampart migrate)", async () => {
      const tmp = await tempDir();
      try {
        const r = await runCli(["serve", "--port", "0"], {
          DATABASE_URL: `sqlite://${join(tmp.dir, "x.db")}`,
          SECRET_KEY: TEST_SECRET_KEY,
        });
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, /rampart migrate/);
      } finally {
        await tmp.cleanup();
      }
    });

    it("an invalid --port exits 2", async () => {
      const r = await runCli(["serve", "--port", "http"], { SECRET_KEY: TEST_SECRET_KEY });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--port/);
    });
  });

  it("development mode: migrates SQLite itself, persists <db>.secret (0600) and reuses it; full flow over HTTP", async () => {
    const tmp = await tempDir();
    const dbFile = join(tmp.dir, "dev.db");
    const env = { DATABASE_URL: `sqlite://${dbFile}`, RAMPART_DEVELOPMENT: "true" };
    let server: ServeProcess | undefined;
    try {
      server = await startServe(env);
      const first = server.output();
      assert.match(first.stderr, /DEVELOPMENT MODE/);
      assert.match(first.stderr, /Generated a SECRET_KEY/);
      assert.match(first.stdout, /No users yet/);
      assert.match(first.stdout, /npx rampart users create you@example\.com --password … --active --role admin/);
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const secretFile = `${dbFile}.secret`;
      const info = await stat(secretFile);
      assert.equal(info.mode & 0o777, 0o600);
      const secret = (await readFile(secretFile, "utf8")).trim();
      assert.match(secret, /^[A-Za-z0-9_-]{43}$/);

      const login = await httpClient(server).get("/login", { headers: { accept: "application/json" } });
      assert.equal(login.status, 200);
      assert.match(login.headers.get("content-type") ?? "", /application\/json/);
      assert.ok(login.json.response.csrf_token);

      // Users come from the CLI against the same database (no SECRET_KEY: the commands read the dev secret file).
      await cliOk(["users", "create", "dev@example.com", "--password", "dev password 1", "--active"], {
        DATABASE_URL: env.DATABASE_URL,
      });
      const client = await loginFlow(server, "dev@example.com", "dev password 1");
      const admin = await client.get("/api/admin", { acceptJson: true });
      assert.equal(admin.status, 403, admin.body);

      // An auth token signed with the persisted secret survives a restart: the second start reuses the file.
      const tokenClient = httpClient(server);
      const csrf = await tokenClient.csrf();
      const withToken = await tokenClient.post("/login?include_auth_token", {
        json: { email: "dev@example.com", password: "dev password 1" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(withToken.status, 200, withToken.body);
      const token = withToken.json.response.user?.authentication_token as string | undefined;
      assert.ok(token, withToken.body);

      assert.equal(await server.stop(), 0);
      server = undefined;

      server = await startServe(env);
      const second = server.output();
      assert.match(second.stderr, /Using the SECRET_KEY saved in/);
      assert.doesNotMatch(second.stdout, /No users yet/);
      assert.equal((await readFile(secretFile, "utf8")).trim(), secret);
      const viaToken = await httpClient(server).get("/api/protected", {
        headers: { accept: "application/json", "authentication-token": token },
      });
      assert.equal(viaToken.status, 200, viaToken.body);
      assert.equal(viaToken.json.response.via, "token");
      assert.equal(await server.stop(), 0);
      server = undefined;
    } finally {
      await server?.stop();
      await tmp.cleanup();
    }
  });

  // Each dialect's flow has its own database and server, and mostly waits on child processes: they run together.
  describe("production-style flows", { concurrency: true }, () => {
    for (const dialect of ["sqlite", "postgres", "mysql"] as const) {
      it(`production-style flow on ${dialect}: migrate, roles/users via CLI, login, protected and admin routes`, async (t) => {
        if (dialect !== "sqlite" && !testServerUrl(dialect)) {
          t.skip(`${dialect === "postgres" ? "RAMPART_TEST_POSTGRES_URL" : "RAMPART_TEST_MYSQL_URL"} not set`);
          return;
        }
        const db = await isolatedDatabaseUrl(dialect);
        // Plain http in a test: cookies without Secure (outside development that is an explicit opt-out).
        const env = { DATABASE_URL: db.url, SECRET_KEY: TEST_SECRET_KEY, SESSION_COOKIE_SECURE: "false" };
        let server: ServeProcess | undefined;
        try {
          const refused = await runCli(["serve", "--port", "0"], env);
          assert.equal(refused.code, 2, refused.stdout + refused.stderr);
          assert.match(refused.stderr, /rampart migrate/);

          assert.match(await cliOk(["migrate"], env), /Applied \d+ migration/);
          await cliOk(["roles", "create", "admin"], env);
          await cliOk(["users", "create", "carol@example.com", "--password", "carol password 1", "--active"], env);

          server = await startServe(env);
          assert.doesNotMatch(server.output().stderr, /DEVELOPMENT MODE/);
          const client = await loginFlow(server, "carol@example.com", "carol password 1");
          const denied = await client.get("/api/admin", { acceptJson: true });
          assert.equal(denied.status, 403, denied.body);

          // A role granted from the CLI applies to the running server's existing session.
          await cliOk(["roles", "add", "carol@example.com", "admin"], env);
          const allowed = await client.get("/api/admin", { acceptJson: true });
          assert.equal(allowed.status, 200, allowed.body);

          // Deactivation from the CLI ends the session.
          await cliOk(["users", "deactivate", "carol@example.com"], env);
          const after = await client.get("/api/protected", { acceptJson: true });
          assert.equal(after.status, 401, after.body);

          assert.equal(await server.stop(), 0);
          server = undefined;
        } finally {
          await server?.stop();
          await db.cleanup();
        }
      });
    }
  });

  it("REDIS_URL: sessions live in Redis, not in the database", async (t) => {
    const redisUrl = process.env.RAMPART_TEST_REDIS_URL;
    if (!redisUrl) {
      if (process.env.CI) throw new Error("CI run without RAMPART_TEST_REDIS_URL: Redis tests must run in CI");
      t.skip("RAMPART_TEST_REDIS_URL not set");
      return;
    }
    // A Redis of its own: the shared one may hold other tests' sessions of a user with the same id.
    const own = await startPrivateRedis();
    t.after(() => own.close());
    const tmp = await tempDir();
    const dbUrl = `sqlite://${join(tmp.dir, "redis.db")}`;
    const env = {
      DATABASE_URL: dbUrl,
      SECRET_KEY: TEST_SECRET_KEY,
      SESSION_COOKIE_SECURE: "false",
      REDIS_URL: own.url,
    };
    let server: ServeProcess | undefined;
    try {
      await cliOk(["migrate"], env);
      await cliOk(["users", "create", "dora@example.com", "--password", "dora password 1", "--active"], env);
      server = await startServe(env);
      assert.match(server.output().stdout, /Sessions: Redis at redis:\/\/127\.0\.0\.1/);
      const client = await loginFlow(server, "dora@example.com", "dora password 1");

      const rampart = await createRampart({
        config: { secretKey: TEST_SECRET_KEY },
        database: dbUrl,
        logger: { info() {}, warn() {}, error() {} },
      });
      const redis = RedisSessionStore.connect(own.url);
      try {
        const user = await rampart.api.findUser("dora@example.com");
        assert.ok(user);
        assert.equal(
          (await rampart.datastore.sessions.listForUser(user.id)).length,
          0,
          "no session row in the database",
        );
        assert.equal((await redis.listForUser(user.id)).length, 1, "one session in Redis");

        // The CLI uses the Redis store too: reset-access deletes the session there.
        await cliOk(["users", "reset-access", "dora@example.com"], env);
        assert.equal((await redis.listForUser(user.id)).length, 0, "session deleted from Redis by the CLI");
        assert.equal((await client.get("/api/protected", { acceptJson: true })).status, 401);
      } finally {
        await redis.close();
        await rampart.close();
      }
      assert.equal(await server.stop(), 0);
      server = undefined;
    } finally {
      await server?.stop();
      await tmp.cleanup();
    }
  });
});
