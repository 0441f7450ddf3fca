import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import { setFlash } from "../../core/http/flash.js";
import { redirect, type Outcome } from "../../core/outcome.js";
import { spaLocation, spaMode } from "../../kit/http/spa.js";
import { beginFlow } from "./begin.js";
import { oauthSlice } from "./config.js";
import { sendOauthNotice } from "./emails.js";
import type { Finished } from "./finish.js";
import { flowOwner, refuseFlow, vetoFailure } from "./flow-owner.js";
import { linkedIdentityStore } from "./store.js";

/**
 * POST /oauth-accounts/link/<name> (fresh): a signed-in user links a provider identity to their account; the
 * provider sends the browser back to the sign-in callback, which hands flows of purpose "link" to `completeLink`.
 * Fresh, because a linked identity is a new way into the account. Whatever email the provider gives does not
 * matter here: the user proved both sides (this session, and the provider's sign-in).
 */
export const postLinkRoute = (accountsUrl: string) =>
  defineRoute({
    id: "oauth-accounts.link",
    summary: "Link a provider identity to the caller's account: redirects to the provider (API callers: {location}).",
    method: "POST",
    path: `${accountsUrl}/link/:name`,
    auth: "fresh",
    output: z.object({ location: z.string() }),
    errors: [404, 503],
    async handle(ctx, { caller, params }) {
      return beginFlow(ctx, params.name!, "link", {
        next: null,
        remember: false,
        uniquifier: caller.user.fsUniquifier,
      }) as Promise<Outcome<{ location: string }>>;
    },
  });

/**
 * A link flow came back: links the identity to the signed-in user who started it (no one else's session may
 * complete it). An identity linked to this user already is fine; one linked to another account is refused — an
 * identity opens exactly one account. Every answer is a redirect to the linked-accounts page with the message.
 */
export async function completeLink(ctx: RequestContext, finished: Extract<Finished, { ok: true }>): Promise<Outcome> {
  const { rt } = ctx;
  const { identity, provider } = finished;
  const caller = await flowOwner(ctx, finished);
  if (!caller)
    return refuseFlow(ctx, finished, null, "other_user", {
      code: "OAUTH_FLOW_OTHER_USER",
      params: { provider: provider.label },
    });
  const user = caller.user;
  const veto = await hookVeto(ctx, "oauth_link", user);
  if (veto) return refuseFlow(ctx, finished, caller, "hook_veto", vetoFailure(veto.errors));
  const store = rt.datastore.store(linkedIdentityStore);
  const linked = await store.link({
    userId: user.id,
    provider: identity.provider,
    subject: identity.subject,
    issuer: identity.issuer,
    email: identity.email,
    createdAt: ctx.now(),
  });
  if (linked === "in-use") {
    const holder = await store.find(identity.provider, identity.subject);
    if (holder?.userId !== user.id)
      return refuseFlow(ctx, finished, caller, "identity_in_use", {
        code: "OAUTH_IDENTITY_IN_USE",
        params: { provider: provider.label },
      });
  } else {
    await recordAudit(ctx, {
      event: "oauth_linked",
      outcome: "success",
      user,
      details: { provider: provider.name, id: linked.id, via: "account_page" },
    });
    await rt.events.emit("oauth_linked", { user, provider: provider.name });
    await sendOauthNotice(ctx, "oauth_linked_notice", user, {
      provider: provider.label,
      account: identity.email ?? identity.name,
    });
    await runAfterHook(ctx, "oauth_link", user);
  }
  const message = rt.message("OAUTH_IDENTITY_LINKED", { provider: provider.label });
  const page = rt.url(sliceOf(rt.config, oauthSlice).accountsUrl);
  if (spaMode(ctx)) return redirect(spaLocation(ctx, page, { success: message }));
  setFlash(ctx, "success", message);
  return redirect(page);
}
