import type { changeEmailMessages } from "./messages.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    /** /change-email mailed a confirmation link to the new address (FS change_email_instructions_sent). */
    change_email_instructions_sent: { user: UserRecord; newEmail: string; token: string };
    /** A change-email link was followed: `user.email` is the new address (FS change_email_confirmed). */
    change_email_confirmed: { user: UserRecord; oldEmail: string };
  }
  interface HookedActions {
    change_email: true;
    change_email_confirm: true;
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof changeEmailMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    change_email_requested: true;
    change_email_confirmed: true;
  }
}
