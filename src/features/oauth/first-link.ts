import { recordAudit } from "../../core/audit.js";
import { afterCommit } from "../../core/after-commit.js";
import type { RequestContext } from "../../core/context.js";
import type { UserRecord } from "../../datastore/contracts.js";
import type { FlowFailure } from "./failure.js";
import type { OAuthProvider, ProviderIdentity } from "./providers/types.js";
import { sendOauthNotice } from "./emails.js";
import { findIdentity } from "./find-identity.js";
import { linkedIdentityStore } from "./store.js";

/** Who a first sign-in settled on (linked onto an account, or a new one), or why nobody. */
export type Settled = { ok: true; user: UserRecord } | { ok: false; failure: FlowFailure };

/** The identity was linked by someone else's request meanwhile: its user now, if it still exists. */
export async function linkedNow(
  ctx: RequestContext,
  provider: OAuthProvider,
  identity: ProviderIdentity,
): Promise<Settled> {
  const { rt } = ctx;
  const again = await findIdentity(rt.datastore.store(linkedIdentityStore), identity);
  if ("issuerMismatch" in again)
    return { ok: false, failure: { code: "OAUTH_ISSUER_MISMATCH", params: { provider: provider.label } } };
  const user = again.record ? await rt.datastore.users.findById(again.record.userId) : null;
  if (user) return { ok: true, user };
  // Linked and then removed with its account meanwhile: as for anyone unknown.
  return {
    ok: false,
    failure: { code: "IDENTITY_NOT_REGISTERED", params: { id: identity.email ?? identity.subject } },
  };
}

/**
 * The audit row and the oauth_linked event of a link made at a first sign-in (after its commit); a link onto an
 * existing account by its verified email also mails the owner the notice the account page's link sends: a new
 * way in they did not add themselves (a provider wrong about "verified" must not go unnoticed). A new account
 * gets its welcome mail instead.
 */
export async function announceLinked(
  ctx: RequestContext,
  provider: OAuthProvider,
  user: UserRecord,
  identity: ProviderIdentity,
  how: "email" | "registration",
): Promise<void> {
  await afterCommit(ctx.rt, "the link's audit row and event", async () => {
    await recordAudit(ctx, {
      event: "oauth_linked",
      outcome: "success",
      user,
      details: { provider: identity.provider, via: how === "email" ? "verified_email" : "registration" },
    });
    await ctx.rt.events.emit("oauth_linked", { user, provider: identity.provider });
    if (how === "email")
      await sendOauthNotice(ctx, "oauth_linked_notice", user, {
        provider: provider.label,
        account: identity.email ?? identity.name,
      });
  });
}
