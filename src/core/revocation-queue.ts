import { pendingRevocationKey as keyOf, type PendingRevocation } from "../datastore/contracts.js";
import { isDatabaseOutage } from "./outage.js";
import { RetryLoop } from "./retry-loop.js";
import type { Runtime } from "./runtime.js";

/**
 * Revocations a sign-out could not write while the database was down. They wait in this process and in the
 * session store (Redis, shared by every instance) and are written as soon as the database answers again: from
 * then on no restored or lagging Redis can bring those sessions back. Until then the session is already gone
 * from Redis, and a session read during the outage is also checked against this queue.
 */
const RETRY_MS = 250;

class RevocationQueue {
  private readonly local = new Map<string, PendingRevocation>();
  /** Set when this instance saw the database fail: drain the shared queue once it is back. */
  private watching = false;
  private readonly retries = new RetryLoop(
    RETRY_MS,
    () => this.write(),
    () => this.watching || this.local.size > 0,
  );

  constructor(private readonly rt: Runtime) {}

  /** True when this process queued the end of this session. */
  hasSession(sessionId: string): boolean {
    return this.local.has(`s:${sessionId}`);
  }

  /** True when the deletion of this remember record is queued, here or (shared) in the session store. */
  async hasRemember(rememberId: string): Promise<boolean> {
    if (this.local.has(`r:${rememberId}`)) return true;
    return (await this.rt.sessions.pendingRevocations?.hasRemember(rememberId)) ?? false;
  }

  /**
   * True when the end of this refresh token family is queued, here or (shared) in the session store: until it is
   * written, the family counts as revoked although its row does not say so yet.
   */
  async hasFamily(familyId: string): Promise<boolean> {
    if (this.local.has(`f:${familyId}`)) return true;
    return (await this.rt.sessions.pendingRevocations?.hasFamily(familyId)) ?? false;
  }

  get size(): number {
    return this.local.size;
  }

  async add(entries: readonly PendingRevocation[]): Promise<void> {
    for (const e of entries) this.local.set(keyOf(e), e);
    try {
      await this.rt.sessions.pendingRevocations?.add(entries);
    } catch (error) {
      this.rt.logger.warn(`could not queue ${entries.length} revocation(s) in the session store: ${message(error)}`);
    }
    this.watch();
  }

  /** The database failed: retry until the queues (this process's and the shared one) are written. */
  watch(): void {
    this.watching = true;
    this.retries.schedule();
  }

  /** Writes every queued revocation to the database; on failure they stay queued and a retry is scheduled. */
  flush(): Promise<void> {
    return this.retries.run();
  }

  private async write(): Promise<void> {
    const { rt } = this;
    const shared = rt.sessions.pendingRevocations;
    let fromStore: PendingRevocation[] = [];
    try {
      fromStore = shared ? await shared.list() : [];
    } catch {
      // The session store is down too: this process's entries still go.
    }
    const mine = [...this.local.entries()];
    const all = new Map(mine);
    for (const e of fromStore) all.set(keyOf(e), e);
    const now = rt.now().getTime();
    const entries = [...all.values()];
    if (entries.length === 0) {
      this.watching = false;
      return;
    }
    try {
      const sessions = entries.flatMap((e) =>
        e.kind === "session" && e.expiresAt > now
          ? [{ sessionId: e.sessionId, userId: e.userId, expiresAt: new Date(e.expiresAt) }]
          : [],
      );
      await rt.datastore.revocations.revokeSessions(sessions);
      for (const e of entries) if (e.kind === "remember") await rt.datastore.remember.delete(e.rememberId);
      // With the refresh-tokens feature off, its tokens are refused anyway (nothing can tell a family is live).
      const families = rt.services.tokenFamilies;
      for (const e of entries) if (e.kind === "family") await families?.revokeQueued(rt, e.familyId, e.userId);
    } catch (error) {
      if (!isDatabaseOutage(error)) rt.logger.error("could not write queued revocations", error);
      return;
    }
    // Entries queued again while this write ran stay for the next one.
    for (const [key, e] of mine) if (this.local.get(key) === e) this.local.delete(key);
    rt.logger.info(`wrote ${entries.length} revocation(s) queued during a database outage`);
    try {
      await shared?.remove(entries);
    } catch (error) {
      // Harmless: writing them again is no error.
      rt.logger.warn(`could not clear the revocation queue in the session store: ${message(error)}`);
    }
    if (this.local.size === 0) this.watching = false;
  }

  /** Stops retrying; a last attempt is made (bounded) so a clean shutdown loses nothing it can still write. */
  async close(): Promise<void> {
    if ((await this.retries.close()) && this.local.size)
      this.rt.logger.warn(`${this.local.size} revocation(s) still queued at shutdown`);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const queues = new WeakMap<Runtime, RevocationQueue>();

/** The instance's queue of revocations waiting for the database. */
export function revocationQueue(rt: Runtime): RevocationQueue {
  let queue = queues.get(rt);
  if (!queue) {
    queue = new RevocationQueue(rt);
    queues.set(rt, queue);
  }
  return queue;
}

export type { RevocationQueue };
