/**
 * Two-factor's store: the guarded writes of its columns on the user table (tf_totp_secret, mf_recovery_codes,
 * tf_last_step — Flask-Security's schema). Each is one statement, so of concurrent callers exactly one wins.
 */
import { defineStore, type StoreKit } from "../../datastore/kit.js";

export interface TwoFactorStore {
  /**
   * Replaces the sealed two-factor secret only while it is still `expected` (one statement): resealing an old
   * format never overwrites a secret a concurrent setup just stored.
   */
  replaceTotpSecret(userId: number, expected: string, next: string): Promise<boolean>;
  /**
   * Replaces the stored recovery-code set only while it is still `expected` (null: none), in one statement:
   * consuming one code (the set minus it) or regenerating succeeds for exactly one of concurrent callers.
   */
  replaceRecoveryCodes(userId: number, expected: string | null, next: string | null): Promise<boolean>;
  /**
   * TOTP replay protection for the two-factor authenticator: records `step` as the last accepted time step only
   * when it is later than the stored one (one statement). false = this step (or a later one) was already used.
   */
  claimTotpStep(userId: number, step: number): Promise<boolean>;
}

class KyselyTwoFactorStore implements TwoFactorStore {
  constructor(private readonly kit: StoreKit) {}

  async replaceTotpSecret(userId: number, expected: string, next: string): Promise<boolean> {
    const { db, codec, changed } = this.kit;
    const result = await db
      .updateTable("user")
      .set({ tf_totp_secret: next, update_datetime: codec.dateTime(new Date()) })
      .where("id", "=", userId)
      .where("tf_totp_secret", "=", expected)
      .executeTakeFirst();
    return changed(result);
  }

  async replaceRecoveryCodes(userId: number, expected: string | null, next: string | null): Promise<boolean> {
    const { db, codec, changed, sameAs } = this.kit;
    const result = await db
      .updateTable("user")
      .set({ mf_recovery_codes: next, update_datetime: codec.dateTime(new Date()) })
      .where("id", "=", userId)
      .where(sameAs("mf_recovery_codes", expected))
      .executeTakeFirst();
    return changed(result);
  }

  async claimTotpStep(userId: number, step: number): Promise<boolean> {
    const result = await this.kit.db
      .updateTable("user")
      .set({ tf_last_step: step })
      .where("id", "=", userId)
      .where((eb) => eb.or([eb("tf_last_step", "is", null), eb("tf_last_step", "<", step)]))
      .executeTakeFirst();
    return this.kit.changed(result);
  }
}

/** `datastore.store(twoFactorStore)` (or `tx.store(...)` in a transaction): two-factor's store. */
export const twoFactorStore = defineStore("two-factor", (kit) => new KyselyTwoFactorStore(kit));
