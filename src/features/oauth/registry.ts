import type { oauthMessages } from "./messages.js";
import type { ProofTx } from "../../core/mailbox-proof.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** What this feature adds to the core's registries (declaration merging; see core/events.ts). */
declare module "../../core/events.js" {
  interface RampartEvents {
    /** A provider identity was linked to an account (at a first sign-in or from the account page). */
    oauth_linked: { user: UserRecord; provider: string };
    oauth_unlinked: { user: UserRecord; provider: string };
  }
  interface HookedActions {
    oauth_signin: true;
    /** Re-authentication with a linked identity (before: the session is made fresh only if it passes). */
    oauth_verify: true;
    /** Linking an identity from the account page (before: nothing is linked on a veto). */
    oauth_link: true;
    oauth_unlink: true;
  }
}

declare module "../../core/services.js" {
  interface Services {
    oauth?: {
      /** The configured providers' names, in button order (the reauth payload's oauth_providers). */
      providerNames(): string[];
      /** True when the user has at least one linked identity (a way in besides a password). */
      hasLinked(user: UserRecord): Promise<boolean>;
      /** Removes every linked identity of the user (reset access); returns how many. */
      deleteForUser(user: UserRecord): Promise<number>;
      /**
       * Inside a first mailbox proof's transaction: removes identities linked while nobody had proved the address
       * (someone else may have linked theirs to an account made with your address); returns how many.
       */
      stripLinks(tx: ProofTx, user: UserRecord): Promise<number>;
    };
  }
}

declare module "../../core/messages.js" {
  interface MessageCatalog extends Record<keyof typeof oauthMessages, true> {}
}

declare module "../../core/audit.js" {
  interface AuditEvents {
    oauth_linked: true;
    oauth_unlinked: true;
    /** A provider callback was refused (bad state, provider error, id_token check…). */
    oauth_failed: true;
  }
}

declare module "../../core/methods.js" {
  /** A sign-in or re-authentication through a provider (Google, GitHub, an OIDC provider). */
  interface AuthnMethods {
    oauth: true;
    /**
     * Recorded beside "oauth" (see authn-via.ts): which provider ("oauth:idp=google") and what it said of the
     * sign-in at its side ("oauth:amr=mfa", "oauth:acr=…"). Kept for the session listing and the audit; never
     * counted as a factor proved here.
     */
    [via: `oauth:${string}`]: true;
  }
}
