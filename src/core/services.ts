import type { UserRecord } from "../datastore/contracts.js";
import type { RequestContext } from "./context.js";

/**
 * What features offer each other, through the core (features never import each other). A feature fills its
 * entry at composition (`Feature.provides`); others ask for it and cope when it is absent (feature off).
 */
export interface EmailedLink {
  url: string;
  token: string;
}

export interface Services {
  confirmation?: {
    /** True when this user must still confirm their email before signing in. */
    pending(user: UserRecord): boolean;
    /** A fresh confirmation link for the user's current email. */
    link(ctx: RequestContext, user: UserRecord): EmailedLink;
    /** How long links stay valid, humanized ("2 days"). */
    within: string;
  };
  recovery?: {
    /** A fresh reset link bound to the user's current password. */
    link(ctx: RequestContext, user: UserRecord): EmailedLink;
    within: string;
    /** Absolute URL of the forgot-password page (for notices). */
    forgotUrl(ctx: RequestContext): string;
  };
}
