import { createRequire } from "node:module";
import type { Redis } from "ioredis";

const require = createRequire(import.meta.url);

/**
 * A Redis connection for counters: commands fail fast while it is down (no offline queue, bounded waits) and it
 * reconnects every few hundred milliseconds, so limits work again within a second of Redis's return.
 */
export function connectLimitRedis(url: string): Redis {
  const { Redis: Client } = require("ioredis") as typeof import("ioredis");
  const client = new Client(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(50 * attempt, 250),
  });
  // Connection errors also reach the failing commands; without a listener ioredis prints each one.
  client.on("error", () => undefined);
  return client;
}
