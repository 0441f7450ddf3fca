import type { Redis } from "ioredis";

/**
 * A wait for a Redis connection's FIRST ready, bounded by `timeoutMs`: a command made right after start (a CLI
 * command, a fresh instance's first request) waits for the connection instead of failing because nothing is
 * queued. Every caller shares the one wait; once it ran out, or once the connection was ready, nothing waits any
 * more: a connection that is not ready then means Redis is down, and the caller fails at once (503).
 */
export function firstReady(redis: Redis, timeoutMs: number): () => Promise<void> {
  let settled = redis.status === "ready";
  let waiting: Promise<void> | null = null;
  redis.on("ready", () => (settled = true));
  return async () => {
    const status = redis.status;
    if (settled || status === "ready" || status === "end" || status === "close") return;
    waiting ??= new Promise<void>((resolve, reject) => {
      const done = () => (clearTimeout(timer), redis.off("ready", done), resolve());
      const timer = setTimeout(() => {
        redis.off("ready", done);
        settled = true;
        reject(new Error(`no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      redis.on("ready", done);
    });
    await waiting;
  };
}
