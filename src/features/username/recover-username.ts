import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { runAfterHook } from "../../core/hooks.js";
import { text } from "../../core/input.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import type { MessageKey } from "../../core/messages.js";
import { fieldError, ok } from "../../core/outcome.js";
import { normalizeEmailAddress } from "../../core/policy/index.js";
import type { PageProps } from "../../core/render.js";
import { formRoute } from "../../kit/form-route.js";
import { formPayload } from "../../kit/schemas.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { usernameFeaturesSlice } from "./config.js";
import { recoverUsernamePage } from "./pages.js";
import { admitSend } from "../../kit/send-limits.js";

/**
 * GET/POST /recover-username (anonymous only): mails the account's username to its address. Refusals are
 * those of /reset (USER_DOES_NOT_EXIST, DISABLED_ACCOUNT, CONFIRMATION_REQUIRED) — unless generic responses are
 * on (the default): then every well-formed address gets the same 200 `{csrf_token}`, and the after-hook and the
 * mail run after the answer so its timing does not depend on whether an account exists.
 */
function page(ctx: RequestContext, props: PageProps<{ email?: string }>): string {
  const { recoveryUrl } = sliceOf(ctx.rt.config, usernameFeaturesSlice);
  return recoverUsernamePage(ctx, {
    action: ctx.rt.url(recoveryUrl),
    csrfToken: props.csrfToken,
    flashes: props.takeFlashes(),
    ...(props.errors ? { email: props.input.email ?? "", errors: props.errors } : {}),
  });
}

export const getRecoverUsernameRoute = (path: string) =>
  formRoute({
    id: "recover-username.form",
    summary: "The username-recovery form and its CSRF token.",
    path,
    auth: "anonymous-only",
    page,
  });

/** Why this user may not be sent their username (the /reset rules), or null when they may. */
function refusal(ctx: RequestContext, user: UserRecord | null): MessageKey | null {
  if (!user) return "USER_DOES_NOT_EXIST";
  if (!user.active) return "DISABLED_ACCOUNT";
  if (ctx.rt.services.confirmation?.pending(user)) return "CONFIRMATION_REQUIRED";
  return null;
}

export const postRecoverUsernameRoute = (path: string) =>
  defineRoute({
    id: "recover-username",
    summary:
      "Mail the username of the account with this address to it (every well-formed address answers alike by default).",
    method: "POST",
    path,
    auth: "anonymous-only",
    limits: ["send"],
    input: z.object({ email: text() }),
    output: formPayload,
    page,
    async handle(ctx, { input }) {
      const { rt } = ctx;
      const cfg = sliceOf(rt.config, usernameFeaturesSlice);
      const normalized = normalizeEmailAddress(input.email);
      if (!normalized.ok) return fieldError("email", normalized.code);
      // Counted for every address, known or not, so the answers stay alike.
      await admitSend(ctx, "mail", normalized.email);
      const user = await rt.datastore.users.findByEmail(normalized.email);
      const veto = await hookVeto(ctx, "recover_username", user);
      if (veto) return veto;
      const generic = rt.config.returnGenericResponses;
      const refused = refusal(ctx, user);
      if (refused) {
        await recordAudit(ctx, {
          event: "username_recovery",
          outcome: "failure",
          user,
          identity: normalized.email,
          details: { reason: refused },
        });
        if (!generic) return fieldError("email", refused);
      } else {
        const found = user!;
        await recordAudit(ctx, {
          event: "username_recovery",
          outcome: "success",
          user: found,
          details: { sent: found.username !== null },
        });
        // What only a real account gets (after-hook, mail) runs after the answer in generic mode (core/deferred.ts).
        await nowOrAfterAnswer(ctx, generic, "username_recovery", found, async () => {
          await runAfterHook(ctx, "recover_username", found);
          if (found.username === null) return;
          const sent = await deliverMail(
            ctx,
            "username_recovery",
            found.email,
            { subject: cfg.recoverySubject, username: found.username, email: found.email },
            found,
          );
          if (sent) await rt.events.emit("username_recovery_email_sent", { user: found });
        });
      }
      return ok(
        {},
        {
          csrf: true,
          browser: {
            redirect: rt.url(rt.config.urls.login),
            flash: { category: "info", message: rt.message("USERNAME_RECOVERY_REQUEST") },
          },
        },
      );
    },
  });
