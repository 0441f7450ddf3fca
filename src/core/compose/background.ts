import { ClockSkewMonitor } from "../clock-skew.js";
import type { RampartConfig } from "../config/index.js";
import { revocationQueue } from "../revocation-queue.js";
import { sessionSweeps } from "../session-sweeps.js";
import type { Logger, Runtime } from "../runtime.js";
import { sweepSessionEnds } from "../session-ends.js";
import type { Datastore } from "../../datastore/contracts.js";

/** The clock-skew monitor against the database's clock (started by the composition, before the first request). */
export function clockSkewMonitor(config: RampartConfig, datastore: Datastore, now: () => Date, logger: Logger) {
  return new ClockSkewMonitor({
    databaseNow: () => datastore.now(),
    now,
    logger,
    thresholdSeconds: config.clock.skewThresholdSeconds,
    checkIntervalSeconds: config.clock.checkIntervalSeconds,
  });
}

/** Starts the periodic clean-up (SESSION_CLEANUP_INTERVAL; 0: none); the answer stops it. */
export function startSweeps(rt: Runtime): { stop(): void } {
  const { config, datastore, logger } = rt;
  // Sessions are checked on every use; this sweep only keeps the store from growing without bound.
  const sweep = async () => {
    const now = rt.now();
    // Each on its own: a session store that is down (Redis) must not stop the database's clean-up.
    const steps: [string, () => Promise<unknown>][] = [
      [
        "sessions",
        () => rt.sessions.deleteExpired(now, new Date(now.getTime() - config.session.idleTimeoutSeconds * 1000)),
      ],
      ["remember records", () => rt.datastore.remember.deleteExpired(now)],
      ...(config.rateLimit.store === "database"
        ? [
            ["rate-limit counters", () => datastore.limits.deleteExpired(Date.now())] as [
              string,
              () => Promise<unknown>,
            ],
          ]
        : []),
      ["session revocations", () => sweepSessionEnds(rt, now)],
      // Refresh token families of users who never sign in again (a new sign-in prunes only the user's own).
      ["refresh token families", async () => rt.services.tokenFamilies?.sweep(rt)],
      // Sign-outs queued during a database outage by an instance that stopped before writing them.
      ["queued revocations", () => revocationQueue(rt).flush()],
      // Sessions a change ended that the store could not delete then (their instance may have stopped since).
      ["ended sessions in the store", () => sessionSweeps(rt).resumeFromDatabase()],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (error) {
        logger.warn(`${what} cleanup failed: ${(error as Error).message}`);
      }
    }
  };
  const timer =
    config.session.cleanupIntervalSeconds > 0 ? setInterval(sweep, config.session.cleanupIntervalSeconds * 1000) : null;
  timer?.unref();
  return {
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
