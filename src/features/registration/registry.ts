import type { registrationMessages } from "./messages.js";
import type { RequestContext } from "../../core/context.js";
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

declare module "../../core/services.js" {
  interface Services {
    /**
     * What another way of creating an account (passkey-first sign-up) shares with /register, so both tell the
     * same people the same things. `form`: the new account's email, username and accepted fields.
     */
    registration?: {
      /** After an account was created: audit, user_registered, the welcome mail (confirmation link), after-hook.
       * True while its email awaits confirmation. */
      registered(
        ctx: RequestContext,
        form: { email: string; username: string | null; formData: Record<string, unknown> },
        user: UserRecord,
      ): Promise<boolean>;
      /**
       * The email or username was taken (nothing created): audit, user_not_registered, the owner's mail (after
       * the answer). Returns what a fresh account would look like (never stored), for an answer like a fresh one.
       */
      taken(
        ctx: RequestContext,
        form: { email: string; username: string | null; formData: Record<string, unknown> },
        found: { emailOwner: UserRecord | null; usernameOwner: UserRecord | null; usernameTaken?: boolean },
      ): Promise<UserRecord>;
    };
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
