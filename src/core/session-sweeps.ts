import type { SessionRecord } from "../datastore/contracts.js";
import { isDatabaseOutage } from "./outage.js";
import { RetryLoop } from "./retry-loop.js";
import type { Runtime } from "./runtime.js";
import { sessionsOutsideDatabase } from "./session-ends.js";

/**
 * Sessions that a committed change ended (a new password, a reset, deactivation, reset-access: the user's
 * fs_uniquifier rotated) but that the session store (Redis) could not delete at the time. Every request that
 * reads the database refuses them anyway; but while the database cannot be reached, the user data kept with each
 * session in Redis (see outage-snapshot.ts) would still prove it for reads. So this instance remembers the user
 * and deletes those sessions as soon as the store answers again (retried every 250 ms); from then on no instance
 * finds them. Until then this instance refuses them itself during an outage.
 *
 * The failed sweep is also written to the database as the user's cut-off (session-cookies.ts), so it outlives
 * this process: every instance, at start and at each periodic clean-up, takes up the recent cut-offs
 * (`resumeFromDatabase`) and deletes what the store still holds of them.
 *
 * What is deleted is judged on the database (the user's current uniquifier and state, the recorded
 * revocations), so a session made after the change survives the retry.
 */
const RETRY_MS = 250;

/** A sweep owed: sessions made until `at` (ms) go, except `keep`. */
interface Pending {
  at: number;
  keep: string | null;
}

class SessionSweeps {
  /** User id → when the sweep failed (this instance's clock). */
  private readonly pending = new Map<number, Pending>();
  private readonly retries = new RetryLoop(
    RETRY_MS,
    () => this.sweepAll(),
    () => this.pending.size > 0,
  );

  constructor(private readonly rt: Runtime) {}

  get size(): number {
    return this.pending.size;
  }

  /** The sessions of this user made until `at` must go (but `keep`, the one a "sign out others" kept). */
  add(userId: number, at: Date, keep: string | null = null): void {
    const known = this.pending.get(userId);
    // The later cut-off wins, with its kept session (an earlier one's kept session was cut by the later one).
    if (!known || at.getTime() > known.at) this.pending.set(userId, { at: at.getTime(), keep });
    else if (at.getTime() === known.at && known.keep !== keep) this.pending.set(userId, { at: known.at, keep: null });
    this.retries.schedule();
  }

  /** True when this session belongs to a sweep this instance could not finish yet. */
  covers(record: SessionRecord): boolean {
    const due = this.pending.get(record.userId);
    return due !== undefined && record.createdAt.getTime() <= due.at && record.id !== due.keep;
  }

  /** One attempt at every pending sweep; what fails stays for the next one. */
  flush(): Promise<void> {
    return this.retries.run();
  }

  private async sweepAll(): Promise<void> {
    const { rt } = this;
    for (const [userId, due] of [...this.pending]) {
      try {
        const dead: SessionRecord[] = [];
        for (const s of await rt.sessions.listForUser(userId)) {
          const { user, revoked } = sessionsOutsideDatabase(rt)
            ? await rt.datastore.revocations.userForSession(userId, s)
            : { user: await rt.datastore.users.findById(userId), revoked: false };
          if (revoked || !user || !user.active || s.fsUniquifier !== user.fsUniquifier) dead.push(s);
        }
        for (const s of dead) await rt.sessions.delete(s.id);
        if (this.pending.get(userId) === due) this.pending.delete(userId);
        rt.logger.info(`deleted ${dead.length} ended session(s) of user ${userId} once the session store answered`);
      } catch (error) {
        // The store (or the database) still does not answer: the others would not get through either; the next
        // attempt follows.
        if (isDatabaseOutage(error)) return;
        // Anything else will not get better by retrying: said once, and the other users' sweeps go on.
        rt.logger.error(`could not sweep the ended sessions of user ${userId}`, error);
        if (this.pending.get(userId) === due) this.pending.delete(userId);
      }
    }
  }

  /**
   * Takes up the cut-offs the database recorded within the outage-read age (an instance that stopped before its
   * sweep could run, a revoke-all's sessions an old Redis snapshot brought back) and sweeps them. Only with a
   * session store outside the database and outage reads on: otherwise nothing relies on the store's copies.
   */
  async resumeFromDatabase(): Promise<void> {
    const { rt } = this;
    const maxAgeMs = rt.config.session.outageReadMaxAgeSeconds * 1000;
    if (!sessionsOutsideDatabase(rt) || maxAgeMs === 0) return;
    // A minute more than the age: the cut-offs are on the database's clock, the kept user data on the instances'.
    const since = new Date(rt.clockSkew.onDatabaseClock(rt.now()).getTime() - maxAgeMs - 60_000);
    for (const { userId, before, keepSessionId } of await rt.datastore.revocations.cutOffSince(since))
      this.add(userId, before, keepSessionId);
    if (this.pending.size) await this.flush();
  }

  /** Stops retrying after a last (bounded) attempt; what is left is logged. */
  async close(): Promise<void> {
    if (await this.retries.close())
      this.rt.logger.warn(
        `the ended sessions of ${this.pending.size} user(s) are still in the session store at shutdown`,
      );
  }
}

const sweeps = new WeakMap<Runtime, SessionSweeps>();

/** The instance's sweeps waiting for the session store. */
export function sessionSweeps(rt: Runtime): SessionSweeps {
  let s = sweeps.get(rt);
  if (!s) {
    s = new SessionSweeps(rt);
    sweeps.set(rt, s);
  }
  return s;
}
