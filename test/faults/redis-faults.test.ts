/**
 * Sessions in Redis (a private redis-server of the test's own), under a steady trickle of requests: Redis
 * stopped or frozen → every answer is a success or a 503 with Retry-After within the command timeout, never a
 * 500 or a 10 s hang; Redis back → requests succeed again within a second, with no restart.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestApp, type TestApp } from "../helpers/app.js";
import type { TestClient } from "../helpers/client.js";
import { assertFailedFast, healedWithin, underLoad, type Step } from "../helpers/fault-load.js";
import { startPrivateRedis, type PrivateRedis } from "../helpers/private-redis.js";

const PASSWORD = "correct horse battery";
const EMAIL = "Redis.Fault-User+s@Sub.Example.test";
const BOUNDS = { connectTimeoutMs: 300, commandTimeoutMs: 300, reconnectMaxDelayMs: 100 };
const ANSWER_BOUND_MS = 1500;
const HEAL_MS = 1000;

describe("Redis session store faults", () => {
  let redis: PrivateRedis;
  let app: TestApp;

  before(async () => {
    redis = await startPrivateRedis();
    app = await createTestApp({
      redisUrl: redis.url,
      config: { registration: { enabled: true, sendRegisterEmail: false }, redis: BOUNDS },
    });
    await app.rampart.api.createUser({ email: EMAIL, password: PASSWORD });
  });
  after(async () => {
    await app?.close();
    await redis?.close();
  });

  const signIn = async (): Promise<TestClient> => {
    const c = app.client();
    assert.equal((await c.login(EMAIL.toUpperCase(), PASSWORD)).status, 200);
    return c;
  };

  const steps = async (signedIn: TestClient): Promise<Record<string, Step>> => {
    const anonymous = app.client();
    const csrf = await anonymous.csrf();
    return {
      login: () => app.client().login(EMAIL, PASSWORD),
      "GET json": () => signedIn.get("/api/protected", { acceptJson: true }),
      "GET page": () => signedIn.get("/api/protected"),
      register: (n) =>
        anonymous.post("/register", {
          json: { email: `r.${n}+${Date.now()}@x-y.example.test`, password: PASSWORD, password_confirm: PASSWORD },
          headers: { "x-csrf-token": csrf },
        }),
    };
  };

  const observe = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  it("stopped: 503 + Retry-After (or a success) within the command timeout; healed within 1 s of its return", async () => {
    const signedIn = await signIn();
    const answers = await underLoad(await steps(signedIn), async () => {
      await redis.stop();
      await observe(1200);
    });
    assertFailedFast(answers, ANSWER_BOUND_MS, "Redis stopped");
    await redis.start();
    // The stopped Redis kept no data: a new sign-in and its session must work again.
    await healedWithin(
      async () => {
        const c = app.client();
        if ((await c.login(EMAIL, PASSWORD)).status !== 200) return false;
        return (await c.get("/api/protected", { acceptJson: true })).status === 200;
      },
      HEAL_MS,
      "Redis restarted",
    );
  });

  it("frozen: 503 within the command timeout, not a hang; the same session works within 1 s of the thaw", async () => {
    const signedIn = await signIn();
    const answers = await underLoad(await steps(signedIn), async () => {
      redis.freeze();
      await observe(1200);
    });
    try {
      assertFailedFast(answers, ANSWER_BOUND_MS, "Redis frozen");
    } finally {
      redis.thaw();
    }
    await healedWithin(
      async () => (await signedIn.get("/api/protected", { acceptJson: true })).status === 200,
      HEAL_MS,
      "Redis thawed",
    );
  });
});
