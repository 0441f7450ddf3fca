import type { registrationMessages } from "./messages.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    /** A new account was created by /register; formData holds the accepted fields (never a password). */
    user_registered: { user: UserRecord; confirmationToken: string | null; formData: Record<string, unknown> };
    /** /register named a taken email or username (generic mode answered as if it succeeded). */
    user_not_registered: {
      user: UserRecord | null;
      existingEmail: boolean;
      existingUsername: boolean;
      formData: Record<string, unknown>;
    };
  }
  interface HookedActions {
    register: true;
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof registrationMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    register: true;
  }
}

declare module "../../core/methods.js" {
  /** First factors this feature proves: a new account signed in by /register. */
  interface AuthnMethods {
    register: true;
  }
}
