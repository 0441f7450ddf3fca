import type { Redis } from "ioredis";

/**
 * A wait for a Redis connection's FIRST ready, bounded by `timeoutMs`: a command made right after start (a CLI
 * command, a fresh instance's first request) waits for the connection instead of failing because nothing is
 * queued. Once the connection was ready, one that is not means Redis is down, and nothing waits (the caller fails
 * at once and answers 503).
 */
export function firstReady(redis: Redis, timeoutMs: number): () => Promise<void> {
  let wasReady = redis.status === "ready";
  redis.on("ready", () => (wasReady = true));
  return async () => {
    const status = redis.status;
    if (wasReady || status === "ready" || status === "end" || status === "close") return;
    await new Promise<void>((resolve, reject) => {
      const done = () => (clearTimeout(timer), redis.off("ready", done), resolve());
      const timer = setTimeout(() => {
        redis.off("ready", done);
        reject(new Error(`no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      redis.on("ready", done);
    });
  };
}
