/**
 * The database fails under a steady trickle of requests (PostgreSQL and MariaDB, each behind a loopback proxy
 * that refuses or freezes its traffic, or locked by another client): every answer is a success or a 503 with
 * Retry-After, never a 500, each within the configured timeouts; once the database is back, requests succeed
 * again within a second, with no restart.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import { demoApp } from "../../src/server/demo-app.js";
import { TEST_SECRET } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import { isolatedDatabaseUrl, testServerUrl } from "../helpers/databases.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { assertFailedFast, healedWithin, lockUserTable, underLoad, type Step } from "../helpers/fault-load.js";

const PASSWORD = "correct horse battery";
// Small bounds so a fault shows in well under a second; the answer bound leaves room for a slow CI machine.
const BOUNDS = { poolSize: 3, connectTimeoutMs: 400, statementTimeoutMs: 400, poolQueueLimit: 4 };
const ANSWER_BOUND_MS = 2500;
const HEAL_MS = 1000;

for (const dialect of ["postgres", "mysql"] as const) {
  const server = testServerUrl(dialect);
  describe(`database faults (${dialect})`, { skip: !server }, () => {
    let proxy: FaultProxy;
    let rampart: Rampart;
    let cleanup: () => Promise<void>;
    let directUrl: string;
    const warnings: string[] = [];
    const errors: string[] = [];
    const client = () => new TestClient(demoApp(rampart));
    let signedIn: TestClient;
    let formPage: TestClient;

    before(async () => {
      const isolated = await isolatedDatabaseUrl(dialect);
      cleanup = isolated.cleanup;
      directUrl = isolated.url;
      const target = new URL(isolated.url);
      // The schema is made directly, with the driver's normal timeouts: DDL on a busy machine can take longer
      // than the small statement bound below, and the faults under test are those of serving, not of migrating.
      const setup = await createRampart({
        database: isolated.url,
        migrations: "auto",
        config: { secretKey: TEST_SECRET, baseUrl: "https://app.test" },
      });
      await setup.close();
      proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
      rampart = await createRampart({
        database: proxy.url(isolated.url),
        migrations: "check",
        logger: { info: () => undefined, warn: (m) => warnings.push(m), error: (m, e) => errors.push(`${m} ${e}`) },
        config: {
          secretKey: TEST_SECRET,
          baseUrl: "https://app.test",
          password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
          registration: { enabled: true, sendRegisterEmail: false },
          database: BOUNDS,
        },
      });
      await rampart.api.createUser({ email: "Fault.User+db@Sub.Example.test", password: PASSWORD });
      signedIn = client();
      assert.equal((await signedIn.login("fault.user+db@sub.example.test", PASSWORD)).status, 200);
      formPage = client();
      assert.equal((await formPage.login("Fault.User+db@Sub.Example.test", PASSWORD)).status, 200);
    });
    after(async () => {
      await rampart?.close().catch(() => undefined);
      await proxy?.close();
      await cleanup?.();
    });

    /** Login (JSON), an authenticated GET as JSON and as a browser page, and a registration. */
    const steps = async (): Promise<Record<string, Step>> => {
      const anonymous = client();
      const csrf = await anonymous.csrf();
      return {
        login: () => client().login("fault.user+db@sub.example.test", PASSWORD),
        "GET json": () => signedIn.get("/api/protected", { acceptJson: true }),
        "GET page": () => formPage.get("/api/protected"),
        register: (n) =>
          anonymous.post("/register", {
            json: {
              email: `New-${dialect}.${n}+${Date.now()}@Mail.Example.test`,
              password: PASSWORD,
              password_confirm: PASSWORD,
            },
            headers: { "x-csrf-token": csrf },
          }),
      };
    };

    const healthy = async () =>
      (await signedIn.get("/api/protected", { acceptJson: true })).status === 200 &&
      (await client().login("fault.user+db@sub.example.test", PASSWORD)).status === 200;

    const observe = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

    it("stopped (connections refused): every answer is 503 + Retry-After or a success, fast; healed within 1 s", async () => {
      const answers = await underLoad(await steps(), async () => {
        proxy.mode("refuse");
        await observe(1500);
      });
      assertFailedFast(answers, ANSWER_BOUND_MS, "refused");
      proxy.mode("pass");
      const took = await healedWithin(healthy, HEAL_MS, "refused");
      assert.ok(took < HEAL_MS);
      assert.deepEqual(errors, [], "nothing was logged as an unexpected error (500)");
    });

    it("frozen (no byte moves): answers are bounded by the timeouts, never a hang; healed within 1 s of the thaw", async () => {
      const answers = await underLoad(await steps(), async () => {
        proxy.mode("freeze");
        await observe(2000);
      });
      assertFailedFast(answers, ANSWER_BOUND_MS, "frozen");
      proxy.mode("pass");
      await healedWithin(healthy, HEAL_MS, "frozen");
      assert.deepEqual(errors, []);
    });

    it("pool exhausted (another client locks the user table): 503 within the pool wait, not 500; healed at once after", async () => {
      const lock = await lockUserTable(dialect, directUrl);
      let answers;
      try {
        // More requests at once than connections plus queue: some wait for a connection, some are refused.
        const get = (await steps())["GET json"]!;
        answers = await underLoad(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`GET ${i}`, get])), () =>
          observe(1500),
        );
      } finally {
        await lock.release();
      }
      assertFailedFast(answers, ANSWER_BOUND_MS, "locked");
      await healedWithin(healthy, HEAL_MS, "locked");
      assert.deepEqual(errors, []);
    });

    it("the operator's log: one short warning line per window naming the dependency and why, no stack trace", () => {
      const lines = warnings.filter((w) => w.includes("answered 503"));
      assert.ok(lines.length > 0);
      assert.ok(lines.length < 20, `rate-limited: ${lines.length} lines for hundreds of failures`);
      for (const line of lines) {
        assert.match(line, /database \((PostgreSQL|MySQL\/MariaDB)\) unavailable \(/);
        assert.doesNotMatch(line, /\n\s+at /, "no stack trace");
        assert.doesNotMatch(line, /rampart:rampart@/, "no credentials");
      }
    });
  });
}
