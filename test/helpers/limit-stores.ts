/**
 * The limit contract on every store a deployment can choose, for tests that must hold on each: memory, each
 * configured database (an isolated one per store), and the shared test Redis (under a key prefix of its own).
 * Required under CI: a missing service is an error, never a silent skip.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createLimits, type Limits } from "../../src/core/limits/limits.js";
import { connectLimitRedis } from "../../src/core/limits/redis.js";
import { createIsolatedDatastore, testDatabaseUrls } from "./databases.js";

export interface LimitStoreUnderTest {
  label: string;
  open(): Promise<{ limits: Limits; close?: () => Promise<unknown> | void }>;
}

export const TEST_REDIS_BOUNDS = { connectTimeoutMs: 1000, commandTimeoutMs: 1000, reconnectMaxDelayMs: 200 };

export function limitStoresUnderTest(): LimitStoreUnderTest[] {
  const stores: LimitStoreUnderTest[] = [
    {
      label: "memory",
      open: async () => ({ limits: createLimits({ store: "memory", onStoreFailure: "refuse", keyPrefix: "rl:" }) }),
    },
  ];
  for (const { name } of testDatabaseUrls())
    stores.push({
      label: `the ${name} database`,
      async open() {
        const { datastore, cleanup } = await createIsolatedDatastore(name);
        return {
          close: cleanup,
          limits: createLimits({
            store: "database",
            onStoreFailure: "refuse",
            keyPrefix: "rl:",
            datastore: datastore.limits,
          }),
        };
      },
    });
  const redisUrl = process.env.RAMPART_TEST_REDIS_URL;
  if (redisUrl || process.env.CI)
    stores.push({
      label: "Redis",
      async open() {
        assert.ok(redisUrl, "RAMPART_TEST_REDIS_URL is not set");
        const redis = connectLimitRedis(redisUrl, TEST_REDIS_BOUNDS);
        await new Promise((r) => redis.once("ready", r));
        return {
          close: () => redis.disconnect(),
          limits: createLimits({
            store: "redis",
            onStoreFailure: "refuse",
            keyPrefix: `rl-${randomBytes(3).toString("hex")}:`,
            redis,
          }),
        };
      },
    });
  return stores;
}
