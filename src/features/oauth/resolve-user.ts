import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { normalizeEmailAddress } from "../../core/policy/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { oauthSlice } from "./config.js";
import type { FlowFailure } from "./failure.js";
import type { OAuthProvider, ProviderIdentity } from "./providers/types.js";
import { newAccountFor, registerOnSignin, type NewAccount } from "./register-on-signin.js";
import { announceLinked, linkedNow, type Settled } from "./first-link.js";
import { findIdentity } from "./find-identity.js";
import { linkedIdentityStore } from "./store.js";

/**
 * Who a provider's identity signs in as. Deciding writes nothing (not even a last use): the caller writes only
 * once the lockout, the app's before-hook and the pipeline's checks let the sign-in go on (`settleUser`):
 * - an identity linked already (by provider and subject, never by email) is its user — when the same issuer
 *   asserts it now; linked from another issuer, it is refused (never looked up by email instead);
 * - else, only when the provider is trusted with emails (Google, GitHub; a generic one configured so) and it
 *   asserted the email verified (a real boolean true), the local account with that
 *   email (its one canonical form, as /login and /register look it up) — linked only when its owner proved the
 *   address (confirmed): anyone can register an account with someone else's address and wait for its owner to
 *   arrive by a provider (pre-account hijack), so an unconfirmed one is refused and the user told to sign in
 *   first and link from the account page;
 * - else, registration on first sign-in (when on) creates the account with the identity linked;
 * - else IDENTITY_NOT_REGISTERED (FS).
 * An email not verified is refused before any lookup: the answer tells nothing about which emails have accounts.
 */
export type Decision =
  /** `identityId`: the linked row, whose last use is recorded once the sign-in went through. */
  | { kind: "linked"; user: UserRecord; identityId: number }
  | { kind: "link"; user: UserRecord }
  | { kind: "register"; account: NewAccount }
  /** `reason`: the audit row's, when it is not the message's code. */
  | { kind: "refuse"; failure: FlowFailure; reason?: string };

export async function decideUser(
  ctx: RequestContext,
  provider: OAuthProvider,
  identity: ProviderIdentity,
): Promise<Decision> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, oauthSlice);
  const store = rt.datastore.store(linkedIdentityStore);
  const found = await findIdentity(store, identity);
  if ("issuerMismatch" in found)
    return {
      kind: "refuse",
      failure: { code: "OAUTH_ISSUER_MISMATCH", params: { provider: provider.label } },
      reason: "issuer_mismatch",
    };
  const linked = found.record;
  const linkedUser = linked ? await rt.datastore.users.findById(linked.userId) : null;
  if (linked && linkedUser) return { kind: "linked", user: linkedUser, identityId: linked.id };
  const notRegistered: Decision = {
    kind: "refuse",
    failure: { code: "IDENTITY_NOT_REGISTERED", params: { id: identity.email ?? identity.subject } },
  };
  if (!cfg.linkByVerifiedEmail && !cfg.register) return notRegistered;
  // A provider whose "verified" the operator did not vouch for links and registers nothing by email (no lookup).
  if (!provider.trustsEmail)
    return { kind: "refuse", failure: { code: "OAUTH_LINK_FROM_ACCOUNT_PAGE", params: { provider: provider.label } } };
  // Only a real boolean true from the provider counts (the provider layer never turns "true" into true).
  if (identity.emailVerified !== true || !identity.email)
    return { kind: "refuse", failure: { code: "OAUTH_EMAIL_NOT_VERIFIED", params: { provider: provider.label } } };
  const canonical = normalizeEmailAddress(identity.email);
  if (!canonical.ok) return notRegistered;
  const owner = await rt.datastore.users.findByEmail(canonical.email);
  if (owner) {
    if (cfg.linkByVerifiedEmail && owner.confirmedAt) return { kind: "link", user: owner };
    return { kind: "refuse", failure: { code: "OAUTH_LINK_SIGN_IN_FIRST", params: { provider: provider.label } } };
  }
  if (!cfg.register) return notRegistered;
  const account = newAccountFor(ctx, canonical.email);
  return account ? { kind: "register", account } : notRegistered;
}

/**
 * Writes what `decideUser` decided: the link onto the confirmed account (one guarded insert), or the new account
 * with its link (one transaction). A racing first sign-in of the same identity that linked it first wins; this
 * one then signs in as whoever it was linked to.
 */
export async function settleUser(
  ctx: RequestContext,
  provider: OAuthProvider,
  identity: ProviderIdentity,
  decision: Exclude<Decision, { kind: "refuse" }>,
): Promise<Settled> {
  if (decision.kind === "linked") return { ok: true, user: decision.user };
  if (decision.kind === "register") return registerOnSignin(ctx, provider, identity, decision.account);
  const { rt } = ctx;
  const store = rt.datastore.store(linkedIdentityStore);
  const linked = await store.link({
    userId: decision.user.id,
    provider: identity.provider,
    subject: identity.subject,
    issuer: identity.issuer,
    email: identity.email,
    createdAt: ctx.now(),
  });
  if (linked === "in-use") return linkedNow(ctx, provider, identity);
  await announceLinked(ctx, provider, decision.user, identity, "email");
  return { ok: true, user: decision.user };
}
