import type { changePasswordMessages } from "./messages.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface HookedActions {
    change_password: true;
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof changePasswordMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    password_changed: true;
  }
}

declare module "../../core/methods.js" {
  /** First factors this feature proves: a new password set at /change (the caller gets a new session). */
  interface AuthnMethods {
    change: true;
  }
}
