import type { UserRecord } from "../datastore/contracts.js";
import type { RequestContext } from "./context.js";
import type { AuthnMethod, SecondFactorMethod } from "./methods.js";
import type { AuditWriter } from "./audit.js";
import type { Caller } from "./identity.js";
import type { Runtime } from "./runtime.js";
import type { SafeHtml } from "../pages/kit.js";

/**
 * What features offer each other, through the core (features never import each other). A feature declares its
 * entry in its registry.ts (declaration merging on `Services`) and fills it at composition (`Feature.provides`);
 * others ask for it and cope when it is absent (feature off).
 */
export interface EmailedLink {
  url: string;
  token: string;
}

/**
 * A second factor other than two-factor's own code method (WebAuthn will be the first): the two-factor check
 * counts it among the user's factors, offers it at /tf-select and starts it when chosen.
 */
export interface SecondFactorPlugin {
  /** Method name in `tf_setup_methods` and the `which` of /tf-select ("webauthn"). */
  name: SecondFactorMethod;
  /** True when this user has the factor set up. */
  isSetUp(user: UserRecord): boolean | Promise<boolean>;
  /**
   * Starts the factor for a pending sign-in and returns extras for the `tf_state: "ready"` answer (e.g.
   * `tf_signin_url`). The plugin completes the pending sign-in itself with `rt.pipeline.resume(ctx,
   * await rt.pipeline.pending(ctx), { method: name, credential, … })`: the pipeline checks its credential (budget
   * first), consumes the attempt once and signs in the stored attempt (first factor, remember intent).
   */
  begin(
    ctx: RequestContext,
    user: UserRecord,
    attempt: { remember: boolean; authnVia: AuthnMethod[] },
  ): Promise<Record<string, unknown>>;
}

/**
/**
 * A way to re-authenticate offered by a feature (unified sign-in's code or link; passkeys and OAuth later): the
 * page browsers are sent to instead of /verify, and the keys it sets in the `reauth_required` answer and in the
 * re-authentication form's payload.
 */
export interface ReauthChoice {
  verifyUrl?: string;
  required?: Record<string, unknown>;
  form?: Record<string, unknown>;
  /**
   * What depends on the user (a passkey they hold): keys set in both answers over `required`/`form`, and a link
   * the re-authentication pages show (e.g. "Use a passkey" to /wan-verify).
   */
  forUser?(user: UserRecord): Promise<ReauthOffer>;
}

/**
 * Which page of another feature a block is added to: the sign-in pages (/login, /us-signin), the registration
 * page, the re-authentication pages (/verify, /us-verify).
 */
export type PageSlot = "signin" | "register" | "verify";

/** What a block is drawn with: the page's CSRF token, its `next` (already made safe), the user (verify pages). */
export interface PageSlotInput {
  csrfToken: string;
  next: string | null;
  user: UserRecord | null;
}

/**
 * A block a feature adds to another feature's page (e.g. "Sign in with Google" buttons under the sign-in form):
 * pages ask for their slot's blocks and place them after their own form. Null: nothing for this request.
 */
export interface PageExtra {
  slot: PageSlot;
  render(ctx: RequestContext, input: PageSlotInput): SafeHtml | null | Promise<SafeHtml | null>;
}

export interface ReauthOffer {
  keys?: Record<string, unknown>;
  link?: { href: string; label: string } | null;
}

/** Why a user's refresh token families end (audited with the revocation). */
export type FamilyRevocationReason =
  | "logout"
  | "sign_out_everywhere"
  | "password_changed"
  | "password_reset"
  | "deactivated"
  | "reset_access"
  | "revoked_by_user"
  | "revoked_by_admin";

/** One refresh token family as GET /sessions lists it (never a token value). */
export interface TokenFamilyView {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
}

/**
 * Refresh token families (the refresh-tokens feature). The core asks for it where tokens are issued and where a
 * user's access ends; absent when the feature is off.
 */
export interface TokenFamilies {
  /**
   * Starts a family at an authenticating answer that issues an access token. In cookie mode the feature sets the
   * refresh cookie itself and `refreshToken` is null; in JSON mode it is the token for the payload.
   */
  begin(
    ctx: RequestContext,
    user: UserRecord,
    proof: { authenticatedAtSeconds: number; authnVia: readonly string[]; amr: readonly string[] },
  ): Promise<{ familyId: string; refreshToken: string | null; expiresAt: Date }>;
  /** The refresh cookie's name in cookie mode (a credential the browser adds by itself, as the session cookie), else null. */
  cookieName(rt: Runtime): string | null;
  /**
   * The family this request's client holds: its access token's, else the one its refresh cookie names (when that
   * is the current generation of a family of the caller's); null when none.
   */
  ownFamily(ctx: RequestContext, caller: Caller): Promise<string | null>;
  /** Whether access tokens minted with this family are still honoured (not revoked, not expired, same user). */
  isLive(rt: Runtime, familyId: string, user: UserRecord): Promise<boolean>;
  /** Ends the user's families but `keep` (the caller's own, when it stays signed in); returns how many ended. */
  revokeForUser(
    rt: Runtime,
    user: UserRecord,
    reason: FamilyRevocationReason,
    options: { keep?: string | null; audit: AuditWriter },
  ): Promise<number>;
  /** At sign-out: ends the family the request presents (refresh token in the body or cookie, or the caller's access
   * token's family) and clears the refresh cookie. */
  signOut(ctx: RequestContext, caller: Caller | null): Promise<void>;
  /** Writes the end of a family a sign-out queued while the database was down (`userId` null: whoever's it is). */
  revokeQueued(rt: Runtime, familyId: string, userId: number | null): Promise<void>;
  /**
   * The periodic clean-up: deletes every user's families past expiry or idle, and revoked ones older than the
   * idle limit (kept that long for the record); returns how many.
   */
  sweep(rt: Runtime): Promise<number>;
  /** The user's live families, newest use first. */
  list(rt: Runtime, user: UserRecord): Promise<TokenFamilyView[]>;
  /**
   * Ends one family of the user's by its listed id: "ended", "already-ended" (nothing changed), or null when the
   * id names none of theirs.
   */
  revoke(rt: Runtime, user: UserRecord, id: string, audit: AuditWriter): Promise<"ended" | "already-ended" | null>;
}

export interface Services {
  /** Refresh token families, when the refresh-tokens feature is on. */
  tokenFamilies?: TokenFamilies;
  /** Second factors offered by features; the composition root concatenates every feature's list. */
  secondFactors?: SecondFactorPlugin[];
  /** Ways to re-authenticate besides the password at /verify; concatenated like `secondFactors`. */
  reauthChoices?: ReauthChoice[];
  /** Blocks added to other features' pages; concatenated like `secondFactors`. */
  pageExtras?: PageExtra[];
}
