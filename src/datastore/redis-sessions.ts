/**
 * SessionStore on Redis (used when REDIS_URL is set). Keys, under a configurable prefix:
 * - `t:<tokenHash>`  hash: `r` = JSON of the fixed fields, `la` last activity (ms), `aa` authenticated at (ms),
 *                    `ge` grace expiry (ms or ""), `cs` CSRF secret, `rp` "1" when a token rotation is pending.
 *                    One round trip per request. (Sessions written before typed state kept theirs in `d`, JSON.)
 * - `s:<id>`         the token hash (lookup by public id).
 * - `u:<userId>`     set of the user's session ids (listing, revoke all).
 * - `exp` / `idle`   sorted sets of ids by expiry / last activity, for deleteExpired.
 * - `pending`        hash of revocations waiting for the database (a sign-out during an outage), by entry key.
 * The session hash also keeps `us`, the user snapshot for read-only use during a database outage.
 * Every per-session key expires at the session's absolute expiry (PEXPIREAT), so Redis drops dead sessions
 * by itself; `deleteExpired` also removes idle ones and those past `now`. Updates of a live session run in a
 * Lua script that only writes when the session still exists, so an update never resurrects a deleted one.
 */
import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import { DEPENDENCY_DEFAULTS } from "../core/config/dependency-defaults.js";
import { DependencyUnavailableError } from "../core/errors.js";
import { pendingRevocationKey as field } from "./contracts.js";
import type { PendingRevocation, PendingRevocationQueue, SessionRecord, SessionStore } from "./contracts.js";
import { firstReady } from "./redis-first-ready.js";
import { legacyStateJson, mfaProofFromTag, mfaProofToTag, withLegacyState } from "./mfa-proof.js";

/** ioredis (several MB of RSS) loads only when a Redis URL is actually given, not with this module. */
const require = createRequire(import.meta.url);

interface FixedFields {
  id: string;
  tokenHash: string;
  userId: number;
  fsUniquifier: string;
  createdAt: number;
  expiresAt: number;
  remember: boolean;
  ip: string | null;
  userAgent: string | null;
  authnVia: string[];
  /** Multi-factor proof as a short tag (see mfa-proof.ts). */
  mfa?: string | null;
  rememberId?: string | null;
}

/** HSET fields only when the hash exists; keeps its TTL. KEYS[1] hash, KEYS[2] idle zset; ARGV[1] id, then pairs. */
const UPDATE_IF_EXISTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local la = nil
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if ARGV[i] == 'la' then la = ARGV[i + 1] end
end
if la then redis.call('ZADD', KEYS[2], 'XX', la, ARGV[1]) end
return 1`;

/** Results of a MULTI/pipeline, throwing the first command error (MULTI does not abort on one). */
function checked(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error("redis transaction aborted");
  for (const [err] of results) if (err) throw err;
  return results.map(([, value]) => value);
}

export interface RedisSessionStoreOptions {
  /** Key prefix, default "rampart:sess:". */
  prefix?: string;
  /** Longest wait for one Redis reply (connect()), default 2000 ms. */
  commandTimeoutMs?: number;
  /** Longest wait for the connection to Redis (connect()), default 2000 ms. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnect attempts (connect()), default 200 ms. */
  reconnectMaxDelayMs?: number;
}

export class RedisSessionStore implements SessionStore {
  /** Prefix of every key this store writes. */
  readonly prefix: string;
  /** Waits for the first connection (bounded by the connect timeout); afterwards never. */
  private readonly ready: () => Promise<void>;

  constructor(
    private readonly redis: Redis,
    options: RedisSessionStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? "rampart:sess:";
    this.ready = firstReady(redis, options.connectTimeoutMs ?? DEPENDENCY_DEFAULTS.redis.connectTimeoutMs);
  }

  /** Connects to `url` (redis://…) and returns the store; `close()` ends that connection. */
  static connect(url: string, options: RedisSessionStoreOptions = {}): RedisSessionStore {
    const { Redis: Client } = require("ioredis") as typeof import("ioredis");
    const d = DEPENDENCY_DEFAULTS.redis;
    const maxDelay = options.reconnectMaxDelayMs ?? d.reconnectMaxDelayMs;
    // Bounded waits: nothing is queued while the connection is down (the request gets a 503 at once), a reply
    // that does not come fails after commandTimeout, and reconnect attempts follow each other at most
    // reconnectMaxDelayMs apart, so the store serves again within about that long after Redis returns.
    const client = new Client(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.connectTimeoutMs ?? d.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? d.commandTimeoutMs,
      retryStrategy: (attempt) => Math.min(25 * attempt, maxDelay),
    });
    // Connection errors also reach the failing commands; without a listener ioredis prints each one.
    client.on("error", () => undefined);
    return new RedisSessionStore(client, options);
  }

  /** Every call goes through here: a failing or silent Redis becomes DependencyUnavailableError (a 503). */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.ready();
      return await fn();
    } catch (error) {
      if (error instanceof DependencyUnavailableError) throw error;
      throw new DependencyUnavailableError("session store (Redis)", error, redisReason(error));
    }
  }

  /** Ends the connection; when Redis cannot take a QUIT (it is down), the client is disconnected all the same. */
  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      // Unreachable: nothing to tell it.
    } finally {
      // Stops reconnect attempts, which would otherwise keep the process alive.
      this.redis.disconnect();
    }
  }

  private key(kind: "t" | "s" | "u", id: string | number): string {
    return `${this.prefix}${kind}:${id}`;
  }

  private get expKey(): string {
    return `${this.prefix}exp`;
  }

  private get idleKey(): string {
    return `${this.prefix}idle`;
  }

  async create(s: SessionRecord): Promise<void> {
    return this.guard(async () => {
      const fixed: FixedFields = {
        id: s.id,
        tokenHash: s.tokenHash,
        userId: s.userId,
        fsUniquifier: s.fsUniquifier,
        createdAt: s.createdAt.getTime(),
        expiresAt: s.expiresAt.getTime(),
        remember: s.remember,
        ip: s.ip,
        userAgent: s.userAgent,
        authnVia: s.authnVia,
        mfa: mfaProofToTag(s.mfaProof),
        rememberId: s.rememberId,
      };
      const at = fixed.expiresAt;
      const t = this.key("t", s.tokenHash);
      const u = this.key("u", s.userId);
      await this.redis
        .multi()
        .hset(t, {
          r: JSON.stringify(fixed),
          la: String(s.lastActiveAt.getTime()),
          aa: String(s.authenticatedAt.getTime()),
          ge: s.graceExpiresAt ? String(s.graceExpiresAt.getTime()) : "",
          cs: s.csrfSecret,
          rp: s.rotatePending ? "1" : "",
          // Read by an older Rampart during a rolling upgrade (see legacyStateJson).
          d: legacyStateJson(s),
          us: s.outageSnapshot ?? "",
        })
        .pexpireat(t, at)
        .set(this.key("s", s.id), s.tokenHash, "PXAT", at)
        .sadd(u, s.id)
        .pexpireat(u, at, "NX")
        .pexpireat(u, at, "GT")
        .zadd(this.expKey, at, s.id)
        .zadd(this.idleKey, s.lastActiveAt.getTime(), s.id)
        .exec()
        .then(checked);
    });
  }

  private decode(fields: Record<string, string>): SessionRecord | null {
    if (!fields.r) return null;
    const f = JSON.parse(fields.r) as FixedFields;
    return {
      id: f.id,
      tokenHash: f.tokenHash,
      userId: f.userId,
      fsUniquifier: f.fsUniquifier,
      createdAt: new Date(f.createdAt),
      lastActiveAt: new Date(Number(fields.la)),
      expiresAt: new Date(f.expiresAt),
      authenticatedAt: new Date(Number(fields.aa)),
      graceExpiresAt: fields.ge ? new Date(Number(fields.ge)) : null,
      remember: f.remember,
      ip: f.ip,
      userAgent: f.userAgent,
      csrfSecret: fields.cs ?? "",
      authnVia: f.authnVia,
      ...typedState(f, fields),
      ...(fields.us ? { outageSnapshot: fields.us } : {}),
    };
  }

  async findByTokenHash(tokenHash: string): Promise<SessionRecord | null> {
    return this.guard(async () => {
      return this.decode(await this.redis.hgetall(this.key("t", tokenHash)));
    });
  }

  async findById(id: string): Promise<SessionRecord | null> {
    return this.guard(async () => {
      const tokenHash = await this.redis.get(this.key("s", id));
      return tokenHash ? this.findByTokenHash(tokenHash) : null;
    });
  }

  private async write(id: string, fields: [string, string][]): Promise<void> {
    const tokenHash = await this.redis.get(this.key("s", id));
    if (!tokenHash) return;
    await this.redis.eval(UPDATE_IF_EXISTS, 2, this.key("t", tokenHash), this.idleKey, id, ...fields.flat());
  }

  async touch(id: string, lastActiveAt: Date): Promise<void> {
    return this.guard(async () => {
      await this.write(id, [["la", String(lastActiveAt.getTime())]]);
    });
  }

  async update(
    id: string,
    patch: Partial<Pick<SessionRecord, "authenticatedAt" | "graceExpiresAt" | "rotatePending" | "csrfSecret">>,
  ): Promise<void> {
    return this.guard(async () => {
      const fields: [string, string][] = [];
      if (patch.authenticatedAt !== undefined) fields.push(["aa", String(patch.authenticatedAt.getTime())]);
      if (patch.graceExpiresAt !== undefined)
        fields.push(["ge", patch.graceExpiresAt ? String(patch.graceExpiresAt.getTime()) : ""]);
      if (patch.rotatePending !== undefined) {
        fields.push(["rp", patch.rotatePending ? "1" : ""]);
        const current = await this.findById(id);
        if (current) fields.push(["d", legacyStateJson({ ...current, rotatePending: patch.rotatePending })]);
      }
      if (patch.csrfSecret !== undefined) fields.push(["cs", patch.csrfSecret]);
      if (fields.length) await this.write(id, fields);
    });
  }

  async saveOutageSnapshot(id: string, snapshot: string): Promise<void> {
    return this.guard(async () => {
      await this.write(id, [["us", snapshot]]);
    });
  }

  private pending: PendingRevocationQueue | undefined;

  /** Revocations waiting for the database, in one hash: field = the entry's key, value = its JSON. */
  get pendingRevocations(): PendingRevocationQueue {
    return (this.pending ??= this.pendingQueue());
  }

  private pendingQueue(): PendingRevocationQueue {
    const key = `${this.prefix}pending`;
    return {
      add: (entries) =>
        this.guard(async () => {
          if (entries.length)
            await this.redis.hset(key, Object.fromEntries(entries.map((e) => [field(e), JSON.stringify(e)])));
        }),
      list: () =>
        this.guard(async () =>
          Object.values(await this.redis.hgetall(key)).map((v) => JSON.parse(v) as PendingRevocation),
        ),
      remove: (entries) =>
        this.guard(async () => {
          if (entries.length) await this.redis.hdel(key, ...entries.map(field));
        }),
      hasSession: (sessionId) => this.guard(async () => (await this.redis.hexists(key, `s:${sessionId}`)) === 1),
      hasRemember: (rememberId) => this.guard(async () => (await this.redis.hexists(key, `r:${rememberId}`)) === 1),
      hasFamily: (familyId) => this.guard(async () => (await this.redis.hexists(key, `f:${familyId}`)) === 1),
    };
  }

  async listForUser(userId: number): Promise<SessionRecord[]> {
    return this.guard(async () => {
      const ids = await this.redis.smembers(this.key("u", userId));
      if (ids.length === 0) return [];
      const hashes = await this.redis.mget(ids.map((id) => this.key("s", id)));
      const pipeline = this.redis.pipeline();
      for (const h of hashes) if (h) pipeline.hgetall(this.key("t", h));
      const out: SessionRecord[] = [];
      for (const fields of checked(await pipeline.exec())) {
        const s = this.decode(fields as Record<string, string>);
        if (s) out.push(s);
      }
      const live = new Set(out.map((s) => s.id));
      const stale = ids.filter((id) => !live.has(id));
      if (stale.length) await this.redis.srem(this.key("u", userId), ...stale);
      return out.sort(
        (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
    });
  }

  /** Removes every key of the session; true when it still existed. */
  async delete(id: string): Promise<boolean> {
    return this.guard(async () => {
      const tokenHash = await this.redis.get(this.key("s", id));
      const fields = tokenHash ? await this.redis.hget(this.key("t", tokenHash), "r") : null;
      const multi = this.redis.multi().del(this.key("s", id)).zrem(this.expKey, id).zrem(this.idleKey, id);
      if (tokenHash) multi.del(this.key("t", tokenHash));
      if (fields) multi.srem(this.key("u", (JSON.parse(fields) as FixedFields).userId), id);
      const results = checked(await multi.exec());
      return results[0] === 1;
    });
  }

  async deleteForUser(userId: number, exceptId?: string): Promise<number> {
    return this.guard(async () => {
      const ids = await this.redis.smembers(this.key("u", userId));
      let count = 0;
      for (const id of ids) {
        if (id === exceptId) continue;
        if (await this.delete(id)) count++;
        else await this.redis.srem(this.key("u", userId), id);
      }
      return count;
    });
  }

  async deleteExpired(now: Date, idleBefore: Date): Promise<number> {
    return this.guard(async () => {
      const [expired, idle] = await Promise.all([
        this.redis.zrangebyscore(this.expKey, "-inf", now.getTime()),
        this.redis.zrangebyscore(this.idleKey, "-inf", `(${idleBefore.getTime()}`),
      ]);
      let count = 0;
      for (const id of new Set([...expired, ...idle])) if (await this.delete(id)) count++;
      return count;
    });
  }
}

/** A short reason for the log line. */
function redisReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/timed? ?out/i.test(message)) return "timeout";
  if (/enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET/i.test(message)) return "connection down";
  return "command failed";
}

/** The typed state of a stored session, completed from `d` written by an older Rampart. */
function typedState(
  f: FixedFields,
  fields: Record<string, string>,
): Pick<SessionRecord, "mfaProof" | "rotatePending" | "rememberId"> {
  return withLegacyState(
    { mfaProof: mfaProofFromTag(f.mfa ?? null), rotatePending: fields.rp === "1", rememberId: f.rememberId ?? null },
    fields.d,
  );
}
