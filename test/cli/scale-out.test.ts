/**
 * DESIGN §6: app instances are stateless. Two `rampart serve` processes share one PostgreSQL and one Redis and
 * behave as one: a session, CSRF token or auth token made by one is honoured by the other, and a logout or
 * revocation on one is effective on the other at once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TestClient } from "../helpers/client.js";
import { isolatedDatabaseUrl } from "../helpers/databases.js";
import { cliOk, startServe, TEST_SECRET_KEY, type ServeProcess } from "./helpers.js";

const redisUrl = process.env.RAMPART_TEST_REDIS_URL;
const haveServices = Boolean(process.env.RAMPART_TEST_POSTGRES_URL && redisUrl);
if (!haveServices && process.env.CI)
  throw new Error("CI run without PostgreSQL/Redis URLs: the scale-out test must run in CI");

describe(
  "two server processes sharing PostgreSQL and Redis",
  { skip: !haveServices && "PostgreSQL or Redis not configured" },
  () => {
    let a: ServeProcess;
    let b: ServeProcess;
    let cleanup: () => Promise<void>;
    const PASSWORD = "correct horse battery";

    before(async () => {
      const db = await isolatedDatabaseUrl("postgres");
      cleanup = db.cleanup;
      const env = {
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl!,
        SECRET_KEY: TEST_SECRET_KEY,
        SESSION_COOKIE_SECURE: "false",
      };
      await cliOk(["migrate"], env);
      await cliOk(["users", "create", "alice@x.test", "--password", PASSWORD, "--active"], env);
      [a, b] = await Promise.all([startServe(env), startServe(env)]);
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await cleanup?.();
    });

    it("sign in on A, work on B, sign out on B, refused on A", async () => {
      const onA = new TestClient((r) => fetch(r), a.url);
      const login = await onA.login("alice@x.test", PASSWORD, {}, "?include_auth_token");
      assert.equal(login.status, 200, login.body);
      const onB = new TestClient((r) => fetch(r), b.url);
      for (const [k, v] of onA.jar) onB.jar.set(k, v);
      assert.equal(
        (await onB.get("/api/protected", { acceptJson: true })).status,
        200,
        "session made on A is valid on B",
      );
      const token = login.json.response.user.authentication_token as string;
      assert.equal(
        (
          await new TestClient((r) => fetch(r), b.url).get("/api/protected", {
            acceptJson: true,
            headers: { "authentication-token": token },
          })
        ).status,
        200,
      );

      const sessions = await onB.get("/sessions", { acceptJson: true });
      assert.equal(sessions.json.response.sessions.length, 1);
      const out = await onB.post("/logout", { json: {}, headers: { "x-csrf-token": login.json.response.csrf_token } });
      assert.equal(out.status, 200, "CSRF token issued by A is accepted by B");
      assert.equal(
        (await onA.get("/api/protected", { acceptJson: true })).status,
        401,
        "logout on B is effective on A at once",
      );
    });
  },
);
