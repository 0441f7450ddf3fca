import { createRequire } from "node:module";
import type { Redis } from "ioredis";

const require = createRequire(import.meta.url);

/** The `redis.*` bounds (REDIS_* timeouts) the session store uses too. */
export interface LimitRedisBounds {
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  reconnectMaxDelayMs: number;
}

/**
 * A Redis connection for counters: commands fail fast while it is down (no offline queue, bounded waits) and it
 * reconnects at most `reconnectMaxDelayMs` apart, so limits work again soon after Redis's return.
 */
export function connectLimitRedis(url: string, bounds: LimitRedisBounds): Redis {
  const { Redis: Client } = require("ioredis") as typeof import("ioredis");
  const client = new Client(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: bounds.connectTimeoutMs,
    commandTimeout: bounds.commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(50 * attempt, bounds.reconnectMaxDelayMs),
  });
  // Connection errors also reach the failing commands; without a listener ioredis prints each one.
  client.on("error", () => undefined);
  return client;
}
