/**
 * Unified sign-in's store: the guarded writes of its columns on the user table (us_totp_secrets,
 * us_phone_number — Flask-Security's schema — and Rampart's us_last_step). Each is one statement, so of
 * concurrent callers exactly one wins.
 */
import { defineStore, type StoreKit } from "../../datastore/kit.js";

export interface UsMethods {
  secrets: string | null;
  phone: string | null;
}

export interface UnifiedSigninStore {
  /**
   * Replaces the unified sign-in methods (us_totp_secrets, us_phone_number) only while both are still as
   * `expected`, in one statement: of interleaved setups/deletions exactly one wins, none is lost silently.
   * DuplicateError (field us_phone_number) when the phone belongs to another user.
   */
  replaceMethods(userId: number, expected: UsMethods, next: UsMethods): Promise<boolean>;
  /**
   * TOTP replay protection for the unified sign-in authenticator (its own counter, apart from two-factor's):
   * records `step` only when it is later than the stored one (one statement); false = already used.
   */
  claimTotpStep(userId: number, step: number): Promise<boolean>;
}

class KyselyUnifiedSigninStore implements UnifiedSigninStore {
  constructor(private readonly kit: StoreKit) {}

  async replaceMethods(userId: number, expected: UsMethods, next: UsMethods): Promise<boolean> {
    const { db, codec, changed, sameAs } = this.kit;
    const query = db
      .updateTable("user")
      .set({ us_totp_secrets: next.secrets, us_phone_number: next.phone, update_datetime: codec.dateTime(new Date()) })
      .where("id", "=", userId)
      .where(sameAs("us_totp_secrets", expected.secrets))
      .where(sameAs("us_phone_number", expected.phone));
    try {
      return changed(await this.kit.confined(() => query.executeTakeFirst()));
    } catch (err) {
      this.kit.rethrowUserDuplicate(err);
    }
  }

  async claimTotpStep(userId: number, step: number): Promise<boolean> {
    const result = await this.kit.db
      .updateTable("user")
      .set({ us_last_step: step })
      .where("id", "=", userId)
      .where((eb) => eb.or([eb("us_last_step", "is", null), eb("us_last_step", "<", step)]))
      .executeTakeFirst();
    return this.kit.changed(result);
  }
}

/** `datastore.store(unifiedSigninStore)` (or `tx.store(...)` in a transaction): unified sign-in's store. */
export const unifiedSigninStore = defineStore("unified-signin", (kit) => new KyselyUnifiedSigninStore(kit));
