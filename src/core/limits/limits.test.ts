/**
 * The one limit contract on every store: counts are exact under concurrency, blocks and resets work, and a
 * failing store never lets a call through uncounted ("refuse" → 503 error; "memory" → this process counts).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { DependencyUnavailableError } from "../errors.js";
import { createIsolatedDatastore } from "../../../test/helpers/databases.js";
import { startPrivateRedis } from "../../../test/helpers/private-redis.js";
import { createLimits, type Limits, type LimitSpec } from "./limits.js";
import { connectLimitRedis } from "./redis.js";
import { limitStoresUnderTest, TEST_REDIS_BOUNDS as BOUNDS } from "../../../test/helpers/limit-stores.js";

const spec = (points: number, durationSeconds = 60, blockSeconds?: number): LimitSpec => ({
  name: `t-${randomBytes(4).toString("hex")}`,
  points,
  durationSeconds,
  ...(blockSeconds ? { blockSeconds } : {}),
});

function contract(label: string, make: () => Promise<{ limits: Limits; close?: () => Promise<unknown> | void }>) {
  describe(`limits on ${label}`, () => {
    let limits: Limits;
    let close: (() => Promise<unknown> | void) | undefined;
    before(async () => ({ limits, close } = await make()));
    after(() => close?.());
    it("allows the spec's points, then refuses with the time left", async () => {
      const s = spec(3);
      for (let i = 1; i <= 3; i++)
        assert.deepEqual(await limits.consume(s, "alice"), { allowed: true, consumed: i, remaining: 3 - i });
      const refused = await limits.consume(s, "alice");
      assert.equal(refused.allowed, false);
      assert.ok(!refused.allowed && refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 60);
      assert.equal((await limits.consume(s, "bob")).allowed, true, "keys are counted apart");
    });

    it("50 concurrent consumes with 5 points: exactly 5 allowed", async () => {
      const s = spec(5);
      const verdicts = await Promise.all(Array.from({ length: 50 }, () => limits.consume(s, "burst")));
      assert.equal(verdicts.filter((v) => v.allowed).length, 5);
    });

    it("block refuses for its time, reset forgets, penalty counts without asking, peek reads", async () => {
      const s = spec(10);
      await limits.block(s, "carol", 120);
      const blocked = await limits.consume(s, "carol");
      assert.ok(!blocked.allowed && blocked.retryAfterSeconds > 60, "blocked for about the block's time");
      await limits.reset(s, "carol");
      assert.equal((await limits.consume(s, "carol")).allowed, true);
      assert.equal(await limits.penalty(s, "dave", 4), 4);
      assert.equal((await limits.peek(s, "dave"))?.consumed, 4);
      assert.equal(await limits.peek(s, "nobody"), null);
    });

    it("a window ends and the key starts over", async () => {
      const s = spec(1, 1);
      assert.equal((await limits.consume(s, "erin")).allowed, true);
      assert.equal((await limits.consume(s, "erin")).allowed, false);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await limits.consume(s, "erin")).allowed, true);
    });
  });
}

for (const store of limitStoresUnderTest()) contract(store.label, store.open);

describe("a failing limit store", () => {
  it("a Redis store used at once, before its first connection is ready, waits for it (a CLI command, a fresh instance)", async () => {
    const server = await startPrivateRedis();
    after(() => server.close());
    const redis = connectLimitRedis(server.url, BOUNDS);
    after(() => redis.disconnect());
    const limits = createLimits({
      store: "redis",
      onStoreFailure: "refuse",
      keyPrefix: "rl:",
      redis,
      redisConnectTimeoutMs: BOUNDS.connectTimeoutMs,
    });
    assert.notEqual(redis.status, "ready");
    assert.equal((await limits.consume(spec(2), "first")).allowed, true);
  });

  it("a Redis that never connects: one shared wait at first, then every call fails at once (refuse) or counts in memory", async () => {
    const redis = connectLimitRedis("redis://127.0.0.1:1", BOUNDS);
    after(() => redis.disconnect());
    const common = { keyPrefix: "rl:", redis, redisConnectTimeoutMs: BOUNDS.connectTimeoutMs } as const;
    const refusing = createLimits({ store: "redis", onStoreFailure: "refuse", ...common });
    const s = spec(2);
    const waits = await Promise.all(
      [1, 2, 3].map(async () => {
        const t = Date.now();
        await assert.rejects(refusing.consume(s, "k"), DependencyUnavailableError);
        return Date.now() - t;
      }),
    );
    assert.ok(Math.max(...waits) < BOUNDS.connectTimeoutMs + 500, `first waits ${waits.join(", ")} ms`);
    const t = Date.now();
    await assert.rejects(refusing.consume(s, "k"), DependencyUnavailableError);
    assert.ok(Date.now() - t < 200, `then ${Date.now() - t} ms`);
    // "memory": counted in this process from the first call, no wait.
    const insured = createLimits({ store: "redis", onStoreFailure: "memory", ...common });
    const started = Date.now();
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push((await insured.consume(s, "m")).allowed);
    assert.deepEqual(verdicts, [true, true, false]);
    assert.ok(Date.now() - started < 500, `memory fallback took ${Date.now() - started} ms`);
  });

  it('"refuse": a stopped Redis fails the call with DependencyUnavailableError, fast; back, it counts again', async () => {
    const server = await startPrivateRedis();
    after(() => server.close());
    const redis = connectLimitRedis(server.url, BOUNDS);
    after(() => redis.disconnect());
    await new Promise((r) => redis.once("ready", r));
    const limits = createLimits({ store: "redis", onStoreFailure: "refuse", keyPrefix: "rl:", redis });
    const s = spec(2);
    assert.equal((await limits.consume(s, "k")).allowed, true);
    await server.stop();
    await assert.rejects(limits.consume(s, "k"), DependencyUnavailableError);
    await server.start();
    // Back within about a second (reconnects every ≤250 ms); the counter starts over (the private server has
    // no persistence), which is the documented bound of a Redis that lost its data.
    const deadline = Date.now() + 3000;
    let verdict;
    for (;;) {
      try {
        verdict = await limits.consume(s, "k");
        break;
      } catch (error) {
        assert.ok(error instanceof DependencyUnavailableError);
        assert.ok(Date.now() < deadline, "limits did not heal");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.equal(verdict.allowed, true);
  });

  it('"refuse": a database that fails fails the call (never an uncounted pass)', async () => {
    const { datastore, cleanup } = await createIsolatedDatastore("sqlite");
    const limits = createLimits({
      store: "database",
      onStoreFailure: "refuse",
      keyPrefix: "rl:",
      datastore: datastore.limits,
    });
    await cleanup(); // the database is gone
    await assert.rejects(limits.consume(spec(5), "k"), DependencyUnavailableError);
  });

  it('"memory": this process counts on its own while the store fails, with the same budget', async () => {
    const { datastore, cleanup } = await createIsolatedDatastore("sqlite");
    const limits = createLimits({
      store: "database",
      onStoreFailure: "memory",
      keyPrefix: "rl:",
      datastore: datastore.limits,
    });
    await cleanup();
    const s = spec(2);
    assert.equal((await limits.consume(s, "k")).allowed, true);
    assert.equal((await limits.consume(s, "k")).allowed, true);
    assert.equal((await limits.consume(s, "k")).allowed, false);
  });
});
