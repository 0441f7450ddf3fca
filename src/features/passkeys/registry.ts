import type { passkeysMessages } from "./messages.js";
import type { RequestContext } from "../../core/context.js";
import type { ProofTx } from "../../core/mailbox-proof.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    /** A passkey was registered (FS wan_registered). */
    wan_registered: { user: UserRecord; name: string };
    /** A passkey was deleted (FS wan_deleted). */
    wan_deleted: { user: UserRecord; name: string };
  }
  interface HookedActions {
    wan_signin: true;
    wan_register: true;
    wan_verify: true;
    wan_delete: true;
  }
}

declare module "../../core/services.js" {
  interface Services {
    passkeys?: {
      /** True when the user has a passkey that may re-authenticate (the reauth payload's has_webauthn_verify_credential). */
      hasVerifyCredential(user: UserRecord): Promise<boolean>;
      /** True when the user has a passkey that signs in by itself (a way in besides the password). */
      hasFirstFactor(user: UserRecord): Promise<boolean>;
      /** Deletes every passkey of the user (reset access); returns how many. */
      deleteForUser(user: UserRecord): Promise<number>;
      /**
       * Inside a mailbox proof's transaction: deletes the user's passkeys that sign in by themselves (usage
       * "first"; second-factor ones stay); returns how many, and whether a second-factor passkey is left.
       */
      stripFirstFactors(tx: ProofTx, user: UserRecord): Promise<{ removed: number; secondFactorLeft: boolean }>;
      /**
       * Confirmation of a never-confirmed account: true when this request comes from the browser that signed
       * the account up with a passkey (its sign-up cookie names this user), so its passkeys are the confirmer's.
       */
      keepAtConfirmation(ctx: RequestContext, user: UserRecord): boolean;
    };
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof passkeysMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    wan_registered: true;
    wan_deleted: true;
    /** A passkey's signature counter went backwards: the authenticator may have been cloned (refused). */
    wan_counter_regression: true;
  }
}

declare module "../../core/methods.js" {
  /** A passkey as the first factor of a sign-in or re-authentication. */
  interface AuthnMethods {
    webauthn: true;
  }
  /** A passkey as the second factor completing a pending sign-in. */
  interface SecondFactorMethods {
    webauthn: true;
  }
}
