import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import { text } from "../../core/input.js";
import type { MessageKey } from "../../core/messages.js";
import { ok } from "../../core/outcome.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { noticeAllowed } from "./register-emails.js";
import { formPayload } from "../../kit/schemas.js";
import { wanConfig } from "./ceremony.js";
import { cleanPasskeyName } from "./names.js";
import { wanRefused } from "./refusals.js";
import { signsInWithout } from "../../core/ways-in.js";
import { passkeyStore, type PasskeyRecord, type PasskeyStore } from "./store.js";

/**
 * GET/POST /wan-delete: removes one of the caller's passkeys by name (fresh authentication required). A
 * password-less account keeps a way in: its only first-factor passkey cannot go while it has no password and
 * no unified sign-in method. The user is mailed a notice. Browsers go back to the registration page (as FS).
 */
const registerPage = (ctx: RequestContext) => ctx.rt.url(wanConfig(ctx.rt).registerUrl);

export const getWanDeleteRoute = (path: string) =>
  defineRoute({
    id: "wan-delete.form",
    summary: "A CSRF token to delete a passkey with (browsers: the registration page, which lists them).",
    method: "GET",
    path,
    auth: "fresh",
    output: formPayload,
    async handle(ctx) {
      return ok({}, { csrf: true, browser: { redirect: registerPage(ctx) } });
    },
  });

export const postWanDeleteRoute = (path: string) =>
  defineRoute({
    id: "wan-delete",
    summary: "Delete one of the caller's passkeys by name (not the last way in of a password-less account).",
    method: "POST",
    path,
    auth: "fresh",
    input: z.object({ name: text() }),
    output: formPayload,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const user = caller.user;
      const back = registerPage(ctx);
      const refuse = (code: MessageKey, params?: Record<string, string>) =>
        wanRefused(ctx, code, { back, field: "name", params });
      const clean = cleanPasskeyName(rt, input.name);
      if (!clean.ok) return refuse(clean.code, "length" in clean ? { length: String(clean.length) } : undefined);
      const name = clean.name;
      const store = rt.datastore.store(passkeyStore);
      // Only the caller's own passkeys are found: another user's name is as unknown as a made-up one.
      const found = await store.findByName(user.id, name);
      if (!found) return refuse("WEBAUTHN_NAME_NOT_FOUND", { name });
      if (await isLastWayIn(ctx, user, store, found)) return refuse("WEBAUTHN_LAST_WAY_IN");
      const veto = await hookVeto(ctx, "wan_delete", user);
      if (veto) return veto;
      const deleted = await store.deleteByName(user.id, name);
      // Deleted meanwhile by another request: that one reports it.
      if (!deleted) return refuse("WEBAUTHN_NAME_NOT_FOUND", { name });
      // Two of the last first-factor passkeys deleted at once: each saw the other still there. The account is
      // never left without a way in: this one comes back.
      if (deleted.usage === "first" && (await isLockedOut(ctx, user, store))) {
        await store.create(deleted);
        return refuse("WEBAUTHN_LAST_WAY_IN");
      }
      await rt.events.emit("wan_deleted", { user, name });
      await recordAudit(ctx, { event: "wan_deleted", outcome: "success", user, details: { name } });
      // After the change is committed: the notice never decides the answer.
      const context = { subject: wanConfig(rt).noticeSubject, name, email: user.email };
      if (noticeAllowed(rt, user)) await deliverMail(ctx, "wan_deleted", user.email, context, user);
      await runAfterHook(ctx, "wan_delete", user);
      return ok(
        {},
        {
          csrf: true,
          browser: {
            redirect: back,
            flash: { category: "success", message: rt.message("WEBAUTHN_CREDENTIAL_DELETED", { name }) },
          },
        },
      );
    },
  });

async function isLastWayIn(
  ctx: RequestContext,
  user: UserRecord,
  store: PasskeyStore,
  target: PasskeyRecord,
): Promise<boolean> {
  if (target.usage !== "first" || (await signsInWithout(ctx.rt, user, "passkeys"))) return false;
  return !(await store.listForUser(user.id)).some((c) => c.usage === "first" && c.id !== target.id);
}

async function isLockedOut(ctx: RequestContext, user: UserRecord, store: PasskeyStore): Promise<boolean> {
  const fresh = (await ctx.rt.datastore.users.findById(user.id)) ?? user;
  if (await signsInWithout(ctx.rt, fresh, "passkeys")) return false;
  return !(await store.listForUser(user.id)).some((c) => c.usage === "first");
}
