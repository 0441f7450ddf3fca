import type { RampartConfig } from "../config/index.js";
import { ConfigError } from "../errors.js";
import { createLimits, type Limits } from "../limits/limits.js";
import { connectLimitRedis } from "../limits/redis.js";
import type { Datastore } from "../../datastore/contracts.js";

/** The rate-limit counters on the store the configuration chose, and how to close that store's own connection. */
export interface ComposedLimits {
  limits: Limits;
  close(): Promise<void>;
}

/**
 * RATE_LIMIT_STORE: the database (default), memory, or Redis — RATE_LIMIT_REDIS_URL, else the sessions' REDIS_URL,
 * on a connection of its own. Refuses (ConfigError) a Redis store with no Redis configured.
 */
export function composeLimits(config: RampartConfig, datastore: Datastore, redisUrl?: string): ComposedLimits {
  const limitRedisUrl = config.rateLimit.redisUrl ?? redisUrl;
  if (config.rateLimit.store === "redis" && !limitRedisUrl) {
    throw new ConfigError([
      { key: "rateLimit.store", message: 'is "redis" but no Redis is configured (RATE_LIMIT_REDIS_URL or REDIS_URL)' },
    ]);
  }
  const limitRedis =
    config.rateLimit.store === "redis" && limitRedisUrl ? connectLimitRedis(limitRedisUrl, config.redis) : null;
  return {
    limits: createLimits({
      store: config.rateLimit.store,
      onStoreFailure: config.rateLimit.onStoreFailure,
      keyPrefix: config.rateLimit.keyPrefix,
      datastore: datastore.limits,
      ...(limitRedis ? { redis: limitRedis, redisConnectTimeoutMs: config.redis.connectTimeoutMs } : {}),
    }),
    async close() {
      // A connection that cannot take a QUIT (not connected yet, or Redis down) is cut all the same.
      await limitRedis?.quit().catch(() => limitRedis.disconnect());
    },
  };
}
