import type { loginMessages } from "./messages.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof loginMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    logout: true;
    verify: true;
  }
}

declare module "../../core/methods.js" {
  /** First factors this feature proves: the password at /login and /verify. */
  interface AuthnMethods {
    password: true;
  }
}
