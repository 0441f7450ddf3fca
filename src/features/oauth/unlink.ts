import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import { setFlash } from "../../core/http/flash.js";
import type { MessageKey } from "../../core/messages.js";
import { ok, redirect, refused, type Redirect } from "../../core/outcome.js";
import { signsInWithout } from "../../core/ways-in.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { identitiesJson, identitiesPayload } from "./accounts.js";
import { oauthSlice } from "./config.js";
import { sendOauthNotice } from "./emails.js";
import type { FlowFailure } from "./failure.js";
import { vetoFailure } from "./flow-owner.js";
import { providersOf } from "./providers/index.js";
import { linkedIdentityStore, type LinkedIdentityStore } from "./store.js";

/**
 * POST /oauth-accounts/unlink {id} (fresh): removes one of the caller's linked identities. Another user's id is
 * as unknown as a made-up one. A password-less account keeps a way in: its last linked identity cannot go while
 * it has no password, no unified sign-in method and no passkey that signs in by itself — also when two unlinks
 * race (the removal is undone when, afterwards, nothing is left). The user is mailed a notice.
 */
const idInput = z.union([z.number(), z.string()]).optional();

export const postUnlinkRoute = (accountsUrl: string) =>
  defineRoute({
    id: "oauth-accounts.unlink",
    summary: "Unlink one of the caller's provider identities by id (not the last way in of a password-less account).",
    method: "POST",
    path: `${accountsUrl}/unlink`,
    auth: "fresh",
    input: z.object({ id: idInput }),
    output: identitiesPayload,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const user = caller.user;
      const store = rt.datastore.store(linkedIdentityStore);
      const id = idOf(input.id);
      const target = id === null ? null : (await store.listForUser(user.id)).find((i) => i.id === id);
      if (!target) return refuse(ctx, "OAUTH_IDENTITY_NOT_FOUND");
      if (await isLastWayIn(ctx, user, store)) return refuse(ctx, "OAUTH_LAST_WAY_IN");
      const veto = await hookVeto(ctx, "oauth_unlink", user);
      // A veto: API callers get it in the contract's shape; browsers go back to the page with its message.
      if (veto && ctx.wantsJson) return veto;
      if (veto) return backWith(ctx, vetoFailure(veto.errors));
      const removed = await store.unlink(user.id, target.id);
      // Unlinked meanwhile by another request: that one reports it.
      if (!removed) return refuse(ctx, "OAUTH_IDENTITY_NOT_FOUND");
      // Two of the last identities unlinked at once: each saw the other still there. The account is never left
      // without a way in: this one comes back (under a new id).
      if (await isLastWayIn(ctx, user, store, 0)) {
        const restored = await store.link({ ...removed });
        if (restored !== "in-use" && removed.lastUsedAt) await store.recordUse(restored.id, removed.lastUsedAt);
        return refuse(ctx, "OAUTH_LAST_WAY_IN");
      }
      const label = providersOf(rt).get(removed.provider)?.label ?? removed.provider;
      await recordAudit(ctx, {
        event: "oauth_unlinked",
        outcome: "success",
        user,
        details: { provider: removed.provider, id: removed.id },
      });
      await rt.events.emit("oauth_unlinked", { user, provider: removed.provider });
      await sendOauthNotice(ctx, "oauth_unlinked_notice", user, { provider: label, account: removed.email });
      await runAfterHook(ctx, "oauth_unlink", user);
      const identities = identitiesJson(ctx, await store.listForUser(user.id));
      return ok(
        { identities },
        {
          csrf: true,
          browser: {
            redirect: accountsPage(ctx),
            flash: { category: "success", message: rt.message("OAUTH_IDENTITY_UNLINKED", { provider: label }) },
          },
        },
      );
    },
  });

function backWith(ctx: RequestContext, failure: FlowFailure): Redirect {
  setFlash(ctx, "error", failure.text ?? ctx.rt.message(failure.code, failure.params));
  return redirect(accountsPage(ctx));
}

const accountsPage = (ctx: RequestContext) => ctx.rt.url(sliceOf(ctx.rt.config, oauthSlice).accountsUrl);

function idOf(raw: number | string | undefined): number | null {
  const text = typeof raw === "number" ? String(raw) : (raw ?? "").trim();
  if (!/^[1-9][0-9]{0,15}$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * 400 with the message (under field_errors.id too); browsers go back to the page with it as a flash. Unknown and
 * another user's id answer the same.
 */
function refuse(ctx: RequestContext, code: MessageKey) {
  const text = ctx.rt.message(code);
  return refused(code, 400, {
    extra: { field_errors: { id: [text] } },
    browser: { redirect: accountsPage(ctx), flash: { category: "error", message: text } },
  });
}

/**
 * True when the account could not sign in by itself once its identities are down to `left` (before removing one:
 * the one being removed is the last; after: none is left). Read from the stored user, not the request's copy: a
 * password set meanwhile counts.
 */
async function isLastWayIn(ctx: RequestContext, user: UserRecord, store: LinkedIdentityStore, left = 1) {
  const current = (await ctx.rt.datastore.users.findById(user.id)) ?? user;
  if (await signsInWithout(ctx.rt, current, "oauth")) return false;
  return (await store.countForUser(user.id)) <= left;
}
