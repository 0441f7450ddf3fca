import { mfaProofFromTag, mfaProofToTag } from "../mfa-proof.js";
import type { Selectable } from "kysely";
import type { RememberRecord, RememberStore } from "../contracts.js";
import { fromMillis, fromMillisOrNull, toMillis } from "./codec.js";
import type { StoreContext } from "./context.js";
import type { RememberTable } from "./schema.js";

type RememberRow = Selectable<RememberTable>;

const COLUMNS = [
  "id",
  "user_id",
  "secret_hash",
  "previous_hash",
  "rotated_at",
  "fs_uniquifier",
  "issued_at",
  "expires_at",
  "second_factor",
] as const satisfies readonly (keyof RememberTable)[];

function toRecord(row: RememberRow): RememberRecord {
  return {
    id: row.id,
    userId: Number(row.user_id),
    secretHash: row.secret_hash,
    previousHash: row.previous_hash ?? null,
    rotatedAt: fromMillisOrNull(row.rotated_at),
    fsUniquifier: row.fs_uniquifier,
    issuedAt: fromMillis(row.issued_at),
    expiresAt: fromMillis(row.expires_at),
    mfaProof: mfaProofFromTag(row.second_factor),
  };
}

/** Remember-me records in `rampart_remember`. */
export class KyselyRememberStore implements RememberStore {
  constructor(private readonly ctx: StoreContext) {}

  async create(r: RememberRecord): Promise<void> {
    await this.ctx.db
      .insertInto("rampart_remember")
      .values({
        id: r.id,
        user_id: r.userId,
        secret_hash: r.secretHash,
        previous_hash: r.previousHash,
        rotated_at: r.rotatedAt ? toMillis(r.rotatedAt) : null,
        fs_uniquifier: r.fsUniquifier,
        issued_at: toMillis(r.issuedAt),
        expires_at: toMillis(r.expiresAt),
        second_factor: mfaProofToTag(r.mfaProof),
      })
      .execute();
  }

  async findById(id: string): Promise<RememberRecord | null> {
    const row = await this.ctx.db
      .selectFrom("rampart_remember")
      .select(COLUMNS)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async rotate(id: string, expected: string, next: string, at: Date): Promise<boolean> {
    const result = await this.ctx.db
      .updateTable("rampart_remember")
      .set({ secret_hash: next, previous_hash: expected, rotated_at: toMillis(at) })
      .where("id", "=", id)
      .where("secret_hash", "=", expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.ctx.db.deleteFrom("rampart_remember").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteForUser(userId: number, exceptId?: string): Promise<number> {
    let query = this.ctx.db.deleteFrom("rampart_remember").where("user_id", "=", userId);
    if (exceptId !== undefined) query = query.where("id", "<>", exceptId);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteExpired(now: Date): Promise<number> {
    const result = await this.ctx.db
      .deleteFrom("rampart_remember")
      .where("expires_at", "<=", toMillis(now))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
