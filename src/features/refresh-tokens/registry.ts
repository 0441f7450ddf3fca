import type { refreshTokensMessages } from "./messages.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    /** A refresh token family began with an authenticating answer (FS refresh_tracker_created). */
    refresh_tracker_created: { user: UserRecord; familyId: string };
    /**
     * Refresh token families ended (FS refresh_tracker_revoked): `reason` is a revocation reason
     * ("logout", "password_changed"…) or "GEN_MISMATCH" when an older generation was presented (theft or a
     * client bug).
     */
    refresh_tracker_revoked: { user: UserRecord | null; familyIds: string[]; reason: string };
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof refreshTokensMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    refresh_tracker_created: true;
    refresh_tracker_revoked: true;
    /** An older generation of a refresh token was presented: the family was revoked. */
    refresh_token_reuse: true;
  }
}

declare module "../../core/methods.js" {
  interface AuthnMethods {
    /** A refresh token exchanged at REFRESH_TOKEN_URL (the account checks run as for any request). */
    refresh_token: true;
  }
}
