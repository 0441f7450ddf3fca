import type { profileMessages } from "./messages.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    /** PUT /profile changed the named app-declared fields (Rampart addition; values are not included). */
    profile_updated: { user: UserRecord; fields: string[] };
  }
  interface HookedActions {
    update_profile: true;
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof profileMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    profile_updated: true;
  }
}
