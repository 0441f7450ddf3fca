/**
 * The linked identities (`oauth_account`). Linking is one guarded insert: an identity already linked (to anyone)
 * is refused by the table's unique key, so two racing first sign-ins cannot link one identity twice.
 */
import type { Generated } from "kysely";
import { defineStore, type StoreKit } from "../../datastore/kit.js";
import { OAUTH_ACCOUNT_TABLE } from "./migrations/0001_oauth_accounts.js";

export interface LinkedIdentity {
  id: number;
  userId: number;
  /** The configured provider's name ("google", "github", "okta"…). */
  provider: string;
  /** The provider's stable id of the person (OIDC `sub`, GitHub's numeric user id). */
  subject: string;
  /** The issuer that asserted it (OIDC `iss`; GitHub: its API URL). */
  issuer: string;
  /** The email the provider gave when the identity was linked (display and audit only; never looked up by). */
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewLinkedIdentity = Omit<LinkedIdentity, "id" | "lastUsedAt">;

interface OauthAccountTable {
  id: Generated<number>;
  user_id: number;
  provider: string;
  subject: string;
  issuer: string;
  email: string | null;
  created_at: string | Date;
  last_used_at: string | Date | null;
}

type Tables = { oauth_account: OauthAccountTable };
type Row = Omit<OauthAccountTable, "id"> & { id: number };

export interface LinkedIdentityStore {
  /** Links an identity; "in-use" when that (provider, subject) is linked already, to this user or another. */
  link(record: NewLinkedIdentity): Promise<LinkedIdentity | "in-use">;
  find(provider: string, subject: string): Promise<LinkedIdentity | null>;
  listForUser(userId: number): Promise<LinkedIdentity[]>;
  countForUser(userId: number): Promise<number>;
  recordUse(id: number, at: Date): Promise<void>;
  /** Removes one of the user's identities by its id; the removed record, or null when the user has no such one. */
  unlink(userId: number, id: number): Promise<LinkedIdentity | null>;
  /** Removes every identity of the user (reset access, a first mailbox proof); returns how many. */
  deleteForUser(userId: number): Promise<number>;
}

class KyselyLinkedIdentityStore implements LinkedIdentityStore {
  constructor(private readonly kit: StoreKit<Tables>) {}

  private read(row: Row): LinkedIdentity {
    const { codec } = this.kit;
    return {
      id: Number(row.id),
      userId: Number(row.user_id),
      provider: row.provider,
      subject: row.subject,
      issuer: row.issuer,
      email: row.email,
      createdAt: codec.readDateTime(row.created_at) ?? new Date(0),
      lastUsedAt: row.last_used_at === null ? null : codec.readDateTime(row.last_used_at),
    };
  }

  async link(r: NewLinkedIdentity): Promise<LinkedIdentity | "in-use"> {
    const { db, codec } = this.kit;
    try {
      const id = await this.kit.confined(() =>
        this.kit.insertId(
          db.insertInto(OAUTH_ACCOUNT_TABLE).values({
            user_id: r.userId,
            provider: r.provider,
            subject: r.subject,
            issuer: r.issuer.slice(0, 512),
            email: r.email?.slice(0, 320) ?? null,
            created_at: codec.dateTime(r.createdAt),
            last_used_at: null,
          }),
        ),
      );
      return { ...r, id, lastUsedAt: null };
    } catch (err) {
      if (this.kit.uniqueViolation(err) !== null) return "in-use";
      throw err;
    }
  }

  async find(provider: string, subject: string): Promise<LinkedIdentity | null> {
    const row = await this.kit.db
      .selectFrom(OAUTH_ACCOUNT_TABLE)
      .selectAll()
      .where("provider", "=", provider)
      .where("subject", "=", subject)
      .executeTakeFirst();
    return row ? this.read(row as Row) : null;
  }

  async listForUser(userId: number): Promise<LinkedIdentity[]> {
    const rows = await this.kit.db
      .selectFrom(OAUTH_ACCOUNT_TABLE)
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("id")
      .execute();
    return rows.map((row) => this.read(row as Row));
  }

  async countForUser(userId: number): Promise<number> {
    const row = await this.kit.db
      .selectFrom(OAUTH_ACCOUNT_TABLE)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async recordUse(id: number, at: Date): Promise<void> {
    await this.kit.db
      .updateTable(OAUTH_ACCOUNT_TABLE)
      .set({ last_used_at: this.kit.codec.dateTime(at) })
      .where("id", "=", id)
      .execute();
  }

  async unlink(userId: number, id: number): Promise<LinkedIdentity | null> {
    return this.kit.transaction(async (kit) => {
      const row = await kit.db
        .selectFrom(OAUTH_ACCOUNT_TABLE)
        .selectAll()
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      if (!row) return null;
      const result = await kit.db.deleteFrom(OAUTH_ACCOUNT_TABLE).where("id", "=", id).executeTakeFirst();
      return kit.changed(result) ? this.read(row as Row) : null;
    });
  }

  async deleteForUser(userId: number): Promise<number> {
    const result = await this.kit.db.deleteFrom(OAUTH_ACCOUNT_TABLE).where("user_id", "=", userId).executeTakeFirst();
    return Number(result.numDeletedRows ?? 0);
  }
}

export const linkedIdentityStore = defineStore<LinkedIdentityStore, Tables>(
  "oauth-accounts",
  (kit) => new KyselyLinkedIdentityStore(kit),
);
