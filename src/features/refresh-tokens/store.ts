/**
 * The refresh token families' table. Every change that decides something is one guarded statement, so of
 * concurrent callers exactly one wins: a rotation is a compare-and-set on (family, generation, secret hash) of a
 * family not revoked; a revocation sets `revoked_at` only while it is null.
 */
import { defineStore, type StoreKit } from "../../datastore/kit.js";

export interface FamilyRecord {
  id: string;
  userId: number;
  gen: number;
  /** SHA-256 (hex) of the current generation's secret. */
  secretHash: string;
  /** The user's fs_uniquifier when the family began: a new one (password, reset-access…) ends the family. */
  fsUniquifier: string;
  name: string;
  /** When the sign-in behind the family proved the user (carried into every access token it mints). */
  authenticatedAt: Date;
  amr: string[];
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  ip: string | null;
  userAgent: string | null;
}

interface FamilyTable {
  id: string;
  user_id: number;
  gen: number;
  secret_hash: string;
  fs_uniquifier: string;
  name: string;
  authenticated_at: number | string;
  amr: string;
  created_at: number | string;
  last_used_at: number | string;
  expires_at: number | string;
  revoked_at: number | string | null;
  revoked_reason: string | null;
  ip: string | null;
  user_agent: string | null;
}

type Tables = { rampart_refresh_family: FamilyTable };
type Row = FamilyTable;

export interface RefreshFamilyStore {
  create(record: FamilyRecord): Promise<void>;
  find(id: string): Promise<FamilyRecord | null>;
  /**
   * Moves the family from (gen, secretHash) to (gen + 1, nextHash) and records the use, only while it is at that
   * generation with that secret and not revoked; false when another use won (or it was revoked).
   */
  rotate(id: string, gen: number, secretHash: string, nextHash: string, at: Date): Promise<boolean>;
  /** Revokes one family (of `userId` when given) unless it already is; true for the one call that revoked it. */
  revoke(id: string, at: Date, reason: string, userId?: number): Promise<boolean>;
  /** Revokes the user's families that are not yet revoked, but `keep`; returns how many. */
  revokeForUser(userId: number, at: Date, reason: string, keep?: string | null): Promise<number>;
  /** True when the family is the user's, not revoked, not expired, used within `idleSince` and of this uniquifier. */
  isLive(id: string, userId: number, fsUniquifier: string, now: Date, idleSince: Date): Promise<boolean>;
  /** The user's families, live or not. */
  listForUser(userId: number): Promise<FamilyRecord[]>;
  /** Deletes the user's expired (absolute or idle) and/or revoked families; returns how many. */
  cleanup(userId: number, now: Date, idleSince: Date, what: { expired: boolean; revoked: boolean }): Promise<number>;
  /** Every user's families past expiry or idle since `idleSince`, and those revoked before `revokedBefore`. */
  sweep(now: Date, idleSince: Date, revokedBefore: Date): Promise<number>;
}

class KyselyRefreshFamilyStore implements RefreshFamilyStore {
  constructor(private readonly kit: StoreKit<Tables>) {}

  private read(row: Row): FamilyRecord {
    const { codec } = this.kit;
    let amr: string[] = [];
    try {
      const parsed: unknown = JSON.parse(row.amr);
      if (Array.isArray(parsed)) amr = parsed.filter((a): a is string => typeof a === "string");
    } catch {
      amr = [];
    }
    return {
      id: row.id,
      userId: Number(row.user_id),
      gen: Number(row.gen),
      secretHash: row.secret_hash,
      fsUniquifier: row.fs_uniquifier,
      name: row.name,
      authenticatedAt: codec.readMillis(row.authenticated_at),
      amr,
      createdAt: codec.readMillis(row.created_at),
      lastUsedAt: codec.readMillis(row.last_used_at),
      expiresAt: codec.readMillis(row.expires_at),
      revokedAt: codec.readMillisOrNull(row.revoked_at),
      revokedReason: row.revoked_reason,
      ip: row.ip,
      userAgent: row.user_agent,
    };
  }

  async create(r: FamilyRecord): Promise<void> {
    const { db, codec } = this.kit;
    await db
      .insertInto("rampart_refresh_family")
      .values({
        id: r.id,
        user_id: r.userId,
        gen: r.gen,
        secret_hash: r.secretHash,
        fs_uniquifier: r.fsUniquifier,
        name: r.name.slice(0, 64),
        authenticated_at: codec.millis(r.authenticatedAt),
        amr: JSON.stringify(r.amr).slice(0, 255),
        created_at: codec.millis(r.createdAt),
        last_used_at: codec.millis(r.lastUsedAt),
        expires_at: codec.millis(r.expiresAt),
        revoked_at: r.revokedAt ? codec.millis(r.revokedAt) : null,
        revoked_reason: r.revokedReason,
        ip: r.ip?.slice(0, 64) ?? null,
        user_agent: r.userAgent?.slice(0, 512) ?? null,
      })
      .execute();
  }

  async find(id: string): Promise<FamilyRecord | null> {
    const row = await this.kit.db
      .selectFrom("rampart_refresh_family")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? this.read(row as Row) : null;
  }

  async rotate(id: string, gen: number, secretHash: string, nextHash: string, at: Date): Promise<boolean> {
    const { db, codec, changed } = this.kit;
    const result = await db
      .updateTable("rampart_refresh_family")
      .set({ gen: gen + 1, secret_hash: nextHash, last_used_at: codec.millis(at) })
      .where("id", "=", id)
      .where("gen", "=", gen)
      .where("secret_hash", "=", secretHash)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return changed(result);
  }

  async revoke(id: string, at: Date, reason: string, userId?: number): Promise<boolean> {
    const { db, codec, changed } = this.kit;
    let q = db
      .updateTable("rampart_refresh_family")
      .set({ revoked_at: codec.millis(at), revoked_reason: reason })
      .where("id", "=", id)
      .where("revoked_at", "is", null);
    if (userId !== undefined) q = q.where("user_id", "=", userId);
    return changed(await q.executeTakeFirst());
  }

  async revokeForUser(userId: number, at: Date, reason: string, keep?: string | null): Promise<number> {
    const { db, codec } = this.kit;
    let q = db
      .updateTable("rampart_refresh_family")
      .set({ revoked_at: codec.millis(at), revoked_reason: reason })
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null);
    if (keep) q = q.where("id", "<>", keep);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows ?? 0);
  }

  async isLive(id: string, userId: number, fsUniquifier: string, now: Date, idleSince: Date): Promise<boolean> {
    const { db, codec } = this.kit;
    // One primary-key lookup: it runs on every request an access token of a family authenticates.
    const row = await db
      .selectFrom("rampart_refresh_family")
      .select("id")
      .where("id", "=", id)
      .where("user_id", "=", userId)
      .where("fs_uniquifier", "=", fsUniquifier)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", codec.millis(now))
      .where("last_used_at", ">", codec.millis(idleSince))
      .executeTakeFirst();
    return row !== undefined;
  }

  async listForUser(userId: number): Promise<FamilyRecord[]> {
    const rows = await this.kit.db
      .selectFrom("rampart_refresh_family")
      .selectAll()
      .where("user_id", "=", userId)
      .execute();
    return rows.map((r) => this.read(r as Row));
  }

  async cleanup(
    userId: number,
    now: Date,
    idleSince: Date,
    what: { expired: boolean; revoked: boolean },
  ): Promise<number> {
    if (!what.expired && !what.revoked) return 0;
    const { db, codec } = this.kit;
    const result = await db
      .deleteFrom("rampart_refresh_family")
      .where("user_id", "=", userId)
      .where((eb) =>
        eb.or([
          ...(what.expired
            ? [eb("expires_at", "<=", codec.millis(now)), eb("last_used_at", "<=", codec.millis(idleSince))]
            : []),
          ...(what.revoked ? [eb("revoked_at", "is not", null)] : []),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows ?? 0);
  }

  async sweep(now: Date, idleSince: Date, revokedBefore: Date): Promise<number> {
    const { db, codec } = this.kit;
    const result = await db
      .deleteFrom("rampart_refresh_family")
      .where((eb) =>
        eb.or([
          eb("expires_at", "<=", codec.millis(now)),
          eb("last_used_at", "<=", codec.millis(idleSince)),
          eb("revoked_at", "<=", codec.millis(revokedBefore)),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows ?? 0);
  }
}

export const refreshFamilyStore = defineStore<RefreshFamilyStore, Tables>(
  "refresh-tokens",
  (kit) => new KyselyRefreshFamilyStore(kit),
);
