import { DependencyUnavailableError } from "../../core/errors.js";

/**
 * Deadlock and serialization victims. InnoDB aborts one of several transactions inserting the same unique key
 * at once (ER_LOCK_DEADLOCK); PostgreSQL reports 40P01/40001. The whole transaction is safe to run again: on the
 * retry the statement meets the committed row and fails cleanly (e.g. DuplicateError). The drivers hand these
 * up as DependencyUnavailableError (faults.ts) with the driver's error as the cause: when the retries run out, the
 * request is answered 503.
 */
export function isRetryableConflict(err: unknown): boolean {
  const e = (err instanceof DependencyUnavailableError ? err.cause : err) as { code?: unknown; errno?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  return e.errno === 1213 || e.code === "ER_LOCK_DEADLOCK" || e.code === "40P01" || e.code === "40001";
}

export async function withConflictRetry<T>(run: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= attempts || !isRetryableConflict(err)) throw err;
      // A little jitter so the victims do not collide again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}
