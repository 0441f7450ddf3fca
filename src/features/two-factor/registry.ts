import type { twoFactorMessages } from "./messages.js";
import type { AuditEvent } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import type { Caller } from "../../core/identity.js";
import type { FormErrors, Refused } from "../../core/outcome.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    /** A second-factor code was accepted and the sign-in (or setup) completed (FS tf_code_confirmed). */
    tf_code_confirmed: { user: UserRecord; method: string };
    /** The user's second-factor method was set or changed (FS tf_profile_changed). */
    tf_profile_changed: { user: UserRecord; method: string };
    /** Two-factor was switched off for the user (FS tf_disabled). */
    tf_disabled: { user: UserRecord };
    /** A second-factor code was sent by email or SMS (FS tf_security_token_sent). */
    tf_security_token_sent: { user: UserRecord; method: string; token: string; phoneNumber: string | null };
    /** A new set of multi-factor recovery codes replaced the old one (Rampart; FS has no signal). No codes in it. */
    mf_recovery_codes_generated: { user: UserRecord; count: number };
    /** A recovery code completed a pending two-factor sign-in (Rampart). */
    mf_recovery_code_used: { user: UserRecord; codesLeft: number };
  }
  interface HookedActions {
    tf_validate: true;
    tf_setup: true;
    mf_recovery: true;
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof twoFactorMessages, true> {}
}

declare module "../../core/services.js" {
  interface Services {
    twoFactor?: {
      /** The user's two-factor code method, or null when none is set up. */
      currentMethod(user: UserRecord): string | null;
      /**
       * Proof of the current second factor before a change that adds or replaces one: null when proved (or the
       * user has none), else the answer — the wrong code as the `code` field's error, 401 without any proof, 429
       * when the attempt budget is spent. `code`: the current authenticator code sent with the request; `event`:
       * the audit event of the refused change.
       */
      proveCurrentFactor(
        ctx: RequestContext,
        caller: Caller,
        code: string | undefined,
        event: AuditEvent,
      ): Promise<FormErrors<never> | Refused | null>;
      /**
       * After another feature's factor (a passkey) completed a pending sign-in: the "remember this device" cookie
       * when the sign-in asked to be remembered and TWO_FACTOR_ALWAYS_VALIDATE is off, as /tf-validate sets it.
       */
      rememberDevice(ctx: RequestContext, user: UserRecord, remember: boolean): void;
    };
  }
}

declare module "../../core/services.js" {
  interface Services {
    /**
     * Multi-factor recovery codes, when MULTI_FACTOR_RECOVERY_CODES is on: a new set for an account being created
     * (passkey-first sign-up stores it in the same transaction). `codes` are shown to the user once; `stored` is
     * what the user's mf_recovery_codes keeps (digests only).
     */
    recoveryCodes?: { newSet(): { codes: string[]; stored: string } };
  }
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    tf_validate: true;
    tf_code_sent: true;
    tf_setup: true;
    tf_setup_started: true;
    tf_select: true;
    tf_disable: true;
    tf_rescue: true;
    mf_recovery: true;
    mf_recovery_codes_generated: true;
    mf_recovery_code_used: true;
    logout: true;
  }
}

declare module "../../core/methods.js" {
  /** Second factors this feature verifies: its code methods and a recovery code. */
  interface SecondFactorMethods {
    authenticator: true;
    email: true;
    sms: true;
    recovery_code: true;
  }
}
