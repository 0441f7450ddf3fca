import type { Datastore, UserPatch, UserRecord } from "../datastore/contracts.js";
import { recordAudit } from "./audit.js";
import type { RequestContext } from "./context.js";
import { sweepUserSessions } from "./session-cookies.js";

/**
 * Proving the mailbox of an account whose email was never proved: a reset link, a confirmation link, or an
 * emailed sign-in code / magic link. Until then anyone could have registered the address (pre-account
 * hijacking), so the proof removes every way of signing in that predates it: unified sign-in methods other
 * than email (authenticator, SMS), the password unless the proof keeps it, passkeys that sign in by themselves
 * unless it keeps them (with the recovery codes issued with them when no second factor uses those codes), identities
 * at social sign-in providers linked to the account, and — by rotating both uniquifiers —
 * sessions, remember cookies, auth tokens, two-factor "remember this device" cookies and other emailed links.
 * The account then counts as confirmed, so everything set up afterwards is the holder's and no later proof
 * touches it.
 *
 * A second factor (and its recovery codes) is never removed, and it is still demanded: it signs nobody in by
 * itself, and removing it would let whoever reads the mailbox skip it on every account that never proved its
 * address. The one implementation for the three paths: sign-in by an emailed code runs it from the pipeline
 * only once every check (the second factor included) let the sign-in through (see sign-in.ts); reset and
 * confirmation run it when their link is consumed.
 */
export interface ProofKeeps {
  /** Keep the password (confirmation: the registrant's; reset: the one just set by the link's holder). */
  password: boolean;
  /**
   * Keep the passkeys that sign in by themselves (confirmation opened in the browser that signed up with
   * them). Otherwise they go in the proof's transaction: whoever registered the address before its owner proved
   * it may have made them.
   */
  passkeys?: boolean;
  /**
   * Rotate both uniquifiers. Confirmation skips it when no one could sign in before confirming (nothing to
   * end), so the link, bound to the uniquifier, still answers "already confirmed" when opened again.
   */
  rotate: boolean;
}

/** How a sign-in proved the mailbox: an emailed unified sign-in code or its magic link (authn_via "email"). */
const MAILBOX_SIGNIN = "email";

export function signInProvesMailbox(authnVia: readonly string[]): boolean {
  return authnVia.includes(MAILBOX_SIGNIN);
}

export type ProofTx = Omit<Datastore, "transaction" | "close" | "migrations">;

/** What a won proof removed (for its audit row). */
export interface Proof {
  passkeysRemoved: number;
  /** Provider identities unlinked (linked before anyone had proved the address). */
  linksRemoved: number;
}

/**
 * Inside the caller's transaction: marks the account confirmed and, when this call is the one that did (one
 * winner among concurrent proofs), strips what predates the proof and rotates both uniquifiers. Returns what
 * it removed when it won, null otherwise. `user` must be the record as read before (its uniquifier and email
 * guard the update). Everything happens in the one transaction: a failure leaves the account unconfirmed with
 * nothing removed, never confirmed with a stranger's way in.
 */
export async function stripUnprovedCredentials(
  ctx: RequestContext,
  tx: ProofTx,
  user: UserRecord,
  at: Date,
  keep: ProofKeeps,
): Promise<Proof | null> {
  if (!(await tx.users.markConfirmed(user.id, at, { fsUniquifier: user.fsUniquifier, email: user.email }))) return null;
  const email = emailMethodOnly(user.usTotpSecrets);
  const patch: UserPatch = { usTotpSecrets: email, usPhoneNumber: null };
  if (!keep.password) patch.password = null;
  const passkeys = ctx.rt.services.passkeys;
  const stripped = keep.passkeys || !passkeys ? null : await passkeys.stripFirstFactors(tx, user);
  // Recovery codes issued with the removed passkeys (a passkey sign-up) go too, unless a second factor uses them.
  if (stripped?.removed && !stripped.secondFactorLeft && !user.tfPrimaryMethod) patch.mfRecoveryCodes = null;
  await tx.users.update(user.id, patch);
  const linksRemoved = (await ctx.rt.services.oauth?.stripLinks(tx, user)) ?? 0;
  if (keep.rotate) {
    await tx.users.rotateUniquifier(user.id);
    await tx.users.rotateTokenUniquifier(user.id);
  }
  return { passkeysRemoved: stripped?.removed ?? 0, linksRemoved };
}

/** After a won proof (transaction committed): ends the sessions and records what happened. */
export async function afterProof(
  ctx: RequestContext,
  user: UserRecord,
  via: string,
  keep: ProofKeeps,
  proof: Proof,
): Promise<void> {
  const passkeys = proof.passkeysRemoved;
  const links = proof.linksRemoved;
  // Clean-up only when the uniquifiers rotated (the sessions are dead already); never an error after the commit.
  await sweepUserSessions(ctx.rt, user.id);
  await recordAudit(ctx, {
    event: "email_proved",
    outcome: "success",
    user,
    details: {
      via,
      credentials_removed: true,
      kept: keep,
      ...(passkeys ? { passkeys_removed: passkeys } : {}),
      ...(links ? { oauth_links_removed: links } : {}),
    },
  });
}

/**
 * The whole proof in its own transaction, for a never-confirmed `user` (a confirmed one is returned as is).
 * Returns the user as it now is and whether this call proved the mailbox (false: already confirmed, or a
 * concurrent proof won).
 */
export async function proveMailbox(
  ctx: RequestContext,
  user: UserRecord,
  via: string,
  keep: ProofKeeps,
): Promise<{ user: UserRecord; proved: boolean }> {
  if (user.confirmedAt) return { user, proved: false };
  const { rt } = ctx;
  const proof = await rt.datastore.transaction((tx) => stripUnprovedCredentials(ctx, tx, user, ctx.now(), keep));
  if (proof) await afterProof(ctx, user, via, keep, proof);
  return { user: (await rt.datastore.users.findById(user.id)) ?? user, proved: proof !== null };
}

/** us_totp_secrets reduced to the email method (its secret never left the server; codes go to the mailbox). */
function emailMethodOnly(secrets: string | null): string | null {
  if (!secrets) return null;
  try {
    const parsed: unknown = JSON.parse(secrets);
    const email = parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>).email : undefined;
    return typeof email === "string" ? JSON.stringify({ email }) : null;
  } catch {
    return null;
  }
}
