import { afterCommit } from "../../core/after-commit.js";
import type { RequestContext } from "../../core/context.js";
import { DuplicateError, type UserRecord } from "../../datastore/contracts.js";
import { checkNewIdentity, checkRegistrationFields } from "../../kit/new-identity.js";
import type { OAuthProvider, ProviderIdentity } from "./providers/types.js";
import { announceLinked, linkedNow, type Settled } from "./first-link.js";
import { linkedIdentityStore } from "./store.js";

/**
 * Registration on a first sign-in (RAMPART_OAUTH_REGISTER): the account a provider's verified email asks for,
 * by /register's rules (the email's one canonical form and hygiene; the app's registration fields). It has no
 * password, and is confirmed now: the provider proved the mailbox. A form the provider cannot fill — a username
 * the configuration requires, an app field that must be given (a consent) — cannot be registered this way.
 */
export interface NewAccount {
  email: string;
  username: string | null;
  profile: Record<string, unknown>;
}

/** The new account for this verified email, or null when /register's rules need what a provider cannot give. */
export function newAccountFor(ctx: RequestContext, email: string): NewAccount | null {
  const { rt } = ctx;
  if (!rt.services.registration) return null;
  const identity = checkNewIdentity(rt, { email });
  if (!identity.ok) return null;
  const fields = checkRegistrationFields(rt, {});
  if (Object.keys(fields.errors).length) return null;
  return { email: identity.email, username: identity.username, profile: fields.profile };
}

class IdentityInUse extends Error {}

/**
 * Creates the account and links the identity in one transaction (nothing half-made), then announces it as
 * /register does (audit, user_registered, the welcome mail, the after-hook). Lost races: the identity linked by a
 * concurrent sign-in signs in as that account; the email registered meanwhile by someone else is refused as any
 * existing account (sign in to it first, then link).
 */
export async function registerOnSignin(
  ctx: RequestContext,
  provider: OAuthProvider,
  identity: ProviderIdentity,
  account: NewAccount,
): Promise<Settled> {
  const { rt } = ctx;
  const now = ctx.now();
  let user: UserRecord;
  try {
    user = await rt.datastore.transaction(async (tx) => {
      const created = await tx.users.create({
        email: account.email,
        username: account.username,
        password: null,
        active: true,
        confirmedAt: now,
        profile: Object.keys(account.profile).length ? account.profile : null,
      });
      const linked = await tx.store(linkedIdentityStore).link({
        userId: created.id,
        provider: identity.provider,
        subject: identity.subject,
        issuer: identity.issuer,
        email: identity.email,
        createdAt: now,
      });
      if (linked === "in-use") throw new IdentityInUse();
      return (await tx.users.findById(created.id)) ?? created;
    });
  } catch (error) {
    if (!(error instanceof IdentityInUse) && !(error instanceof DuplicateError)) throw error;
    const won = await linkedNow(ctx, provider, identity);
    if (won.ok || error instanceof IdentityInUse) return won;
    return { ok: false, failure: { code: "OAUTH_LINK_SIGN_IN_FIRST", params: { provider: provider.label } } };
  }
  const form = {
    email: account.email,
    username: account.username,
    formData: rt.config.username.enable
      ? { email: account.email, ...account.profile, username: account.username }
      : { email: account.email, ...account.profile },
  };
  await afterCommit(rt, "the registration's announcements", () =>
    rt.services.registration!.registered(ctx, form, user),
  );
  await announceLinked(ctx, provider, user, identity, "registration");
  return { ok: true, user };
}
