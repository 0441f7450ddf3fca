import type { confirmationMessages } from "./messages.js";
import type { RequestContext } from "../../core/context.js";
import type { EmailedLink } from "../../core/services.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    user_confirmed: { user: UserRecord };
    confirm_instructions_sent: { user: UserRecord; token: string };
  }
  interface HookedActions {
    confirm: true;
    send_confirmation: true;
  }
}

declare module "../../core/services.js" {
  interface Services {
    confirmation?: {
      /** True when this user must still confirm their email before signing in. */
      pending(user: UserRecord): boolean;
      /** A fresh confirmation link for the user's current email. */
      link(ctx: RequestContext, user: UserRecord): EmailedLink;
      /** How long links stay valid, humanized ("2 days"). */
      within: string;
      /** How long links stay valid, in seconds. */
      withinSeconds?: number;
    };
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof confirmationMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    confirm: true;
    confirm_instructions: true;
  }
}

declare module "../../core/methods.js" {
  /** First factors this feature proves: a confirmation link that signs the user in. */
  interface AuthnMethods {
    confirm: true;
  }
}
