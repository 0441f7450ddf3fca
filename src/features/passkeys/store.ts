/**
 * The passkeys' table (Flask-Security's `webauthn`). Decisions that concurrent requests could race are single
 * guarded statements: a credential id is unique across all users (the table's unique key), and a use moves the
 * signature counter only from the value it was read at.
 */
import { sql, type Generated, type SqlBool } from "kysely";
import { defineStore, type StoreKit } from "../../datastore/kit.js";
import { WEBAUTHN_TABLE } from "./migrations/0001_webauthn.js";

export type PasskeyUsage = "first" | "secondary";

export interface PasskeyRecord {
  id: number;
  userId: number;
  /** The raw credential id (bytes). */
  credentialId: Uint8Array;
  /** The COSE public key (bytes). */
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
  /** The authenticator said the credential is backed up (synced) at its last use. */
  backupState: boolean;
  /** "single_device" or "multi_device" (backup eligible), as Flask-Security stores it. */
  deviceType: string;
  /** The client extension results of the registration, as JSON (credProps). */
  extensions: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  name: string;
  usage: PasskeyUsage;
}

export type NewPasskey = Omit<PasskeyRecord, "id">;

interface WebauthnTable {
  id: Generated<number>;
  credential_id: Uint8Array;
  public_key: Uint8Array;
  sign_count: number | null;
  transports: string | null;
  backup_state: boolean | number;
  device_type: string;
  extensions: string | null;
  create_datetime: string | Date;
  lastuse_datetime: string | Date;
  name: string;
  usage: string;
  user_id: number;
}

type Tables = { webauthn: WebauthnTable };
type Row = Omit<WebauthnTable, "id"> & { id: number };

export interface PasskeyStore {
  /** Adds a credential; "credential-in-use" when its id is registered already (to anyone). */
  create(record: NewPasskey): Promise<PasskeyRecord | "credential-in-use">;
  listForUser(userId: number): Promise<PasskeyRecord[]>;
  findByCredentialId(credentialId: Uint8Array): Promise<PasskeyRecord | null>;
  findByName(userId: number, name: string): Promise<PasskeyRecord | null>;
  /**
   * Records a use: the new signature counter, backup state and time, only while the counter is still `fromCount`
   * (false: another use of the same credential moved it first).
   */
  recordUse(id: number, fromCount: number, toCount: number, backupState: boolean, at: Date): Promise<boolean>;
  /** Deletes the user's credential of that name; the deleted record, or null when there was none. */
  deleteByName(userId: number, name: string): Promise<PasskeyRecord | null>;
  /** Deletes every credential of the user (reset access); returns how many. */
  deleteForUser(userId: number): Promise<number>;
}

const toBytes = (value: unknown): Uint8Array =>
  value instanceof Uint8Array ? new Uint8Array(value) : new Uint8Array(Buffer.from(String(value ?? ""), "binary"));

class KyselyPasskeyStore implements PasskeyStore {
  constructor(private readonly kit: StoreKit<Tables>) {}

  private read(row: Row): PasskeyRecord {
    const { codec } = this.kit;
    return {
      id: Number(row.id),
      userId: Number(row.user_id),
      credentialId: toBytes(row.credential_id),
      publicKey: toBytes(row.public_key),
      signCount: Number(row.sign_count ?? 0),
      transports: row.transports ? row.transports.split(",").filter(Boolean) : [],
      backupState: codec.readBool(row.backup_state),
      deviceType: row.device_type,
      extensions: row.extensions,
      createdAt: codec.readDateTime(row.create_datetime) ?? new Date(0),
      lastUsedAt: codec.readDateTime(row.lastuse_datetime) ?? new Date(0),
      name: row.name,
      usage: row.usage === "first" ? "first" : "secondary",
    };
  }

  async create(r: NewPasskey): Promise<PasskeyRecord | "credential-in-use"> {
    const { db, codec } = this.kit;
    try {
      const id = await this.kit.confined(() =>
        this.kit.insertId(
          db.insertInto(WEBAUTHN_TABLE).values({
            credential_id: Buffer.from(r.credentialId),
            public_key: Buffer.from(r.publicKey),
            sign_count: r.signCount,
            transports: r.transports.length ? r.transports.join(",").slice(0, 255) : null,
            backup_state: codec.bool(r.backupState) as boolean,
            device_type: r.deviceType.slice(0, 64),
            extensions: r.extensions?.slice(0, 255) ?? null,
            create_datetime: codec.dateTime(r.createdAt),
            lastuse_datetime: codec.dateTime(r.lastUsedAt),
            name: r.name,
            usage: r.usage,
            user_id: r.userId,
          }),
        ),
      );
      return { ...r, id };
    } catch (err) {
      if (this.kit.uniqueViolation(err) !== null) return "credential-in-use";
      throw err;
    }
  }

  async listForUser(userId: number): Promise<PasskeyRecord[]> {
    const rows = await this.kit.db
      .selectFrom(WEBAUTHN_TABLE)
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("id")
      .execute();
    return rows.map((row) => this.read(row as Row));
  }

  async findByCredentialId(credentialId: Uint8Array): Promise<PasskeyRecord | null> {
    const row = await this.kit.db
      .selectFrom(WEBAUTHN_TABLE)
      .selectAll()
      .where("credential_id", "=", Buffer.from(credentialId))
      .executeTakeFirst();
    return row ? this.read(row as Row) : null;
  }

  async findByName(userId: number, name: string): Promise<PasskeyRecord | null> {
    const row = await this.kit.db
      .selectFrom(WEBAUTHN_TABLE)
      .selectAll()
      .where("user_id", "=", userId)
      .where("name", "=", name)
      .executeTakeFirst();
    return row ? this.read(row as Row) : null;
  }

  async recordUse(id: number, fromCount: number, toCount: number, backupState: boolean, at: Date): Promise<boolean> {
    const { db, codec, changed, sameAs } = this.kit;
    const result = await db
      .updateTable(WEBAUTHN_TABLE)
      .set({
        sign_count: toCount,
        backup_state: codec.bool(backupState) as boolean,
        lastuse_datetime: codec.dateTime(at),
      })
      .where("id", "=", id)
      // Flask-Security's column may hold NULL (read as 0): it matches a use read at 0.
      .where(fromCount === 0 ? sql<SqlBool>`coalesce(sign_count, 0) = 0` : sameAs("sign_count", fromCount))
      .executeTakeFirst();
    return changed(result);
  }

  async deleteByName(userId: number, name: string): Promise<PasskeyRecord | null> {
    return this.kit.transaction(async (kit) => {
      const store = new KyselyPasskeyStore(kit);
      const found = await store.findByName(userId, name);
      if (!found) return null;
      const result = await kit.db.deleteFrom(WEBAUTHN_TABLE).where("id", "=", found.id).executeTakeFirst();
      return kit.changed(result) ? found : null;
    });
  }

  async deleteForUser(userId: number): Promise<number> {
    const result = await this.kit.db.deleteFrom(WEBAUTHN_TABLE).where("user_id", "=", userId).executeTakeFirst();
    return Number(result.numDeletedRows ?? 0);
  }
}

export const passkeyStore = defineStore<PasskeyStore, Tables>("passkeys", (kit) => new KyselyPasskeyStore(kit));
