import type { recoveryMessages } from "./messages.js";
import type { RequestContext } from "../../core/context.js";
import type { EmailedLink } from "../../core/services.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    /** /reset mailed a reset link (FS reset_password_instructions_sent); `token` is the link's token. */
    reset_password_instructions_sent: { user: UserRecord; token: string };
    /** A reset link set a new password (every session and token of the user ended). */
    password_reset: { user: UserRecord };
  }
  interface HookedActions {
    forgot_password: true;
    reset_password: true;
  }
}

declare module "../../core/services.js" {
  interface Services {
    recovery?: {
      /** A fresh reset link bound to the user's current password. */
      link(ctx: RequestContext, user: UserRecord): EmailedLink;
      within: string;
      /** Absolute URL of the forgot-password page (for notices). */
      forgotUrl(ctx: RequestContext): string;
    };
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof recoveryMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    reset_password_instructions_sent: true;
    password_reset: true;
  }
}

declare module "../../core/methods.js" {
  /** First factors this feature proves: a reset link that signs the user in. */
  interface AuthnMethods {
    reset: true;
  }
}
