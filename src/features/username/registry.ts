import type { usernameMessages } from "./messages.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    /** /change-username set a new username, or cleared it (null) when usernames are optional (FS username_changed). */
    username_changed: { user: UserRecord; oldUsername: string | null };
    /** /recover-username mailed the user their username (FS username_recovery_email_sent). */
    username_recovery_email_sent: { user: UserRecord };
  }
  interface HookedActions {
    change_username: true;
    recover_username: true;
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof usernameMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    username_changed: true;
    username_recovery: true;
  }
}
