import { z } from "zod";
import { requestAudit } from "../../core/audit.js";
import { tokensIfAsked } from "../../core/tokens/issue.js";
import { hookVeto, signedInPayload } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { passwordCredential, verifyCredential } from "../../core/verify-credential.js";
import { tooManyAttempts } from "../../core/lockout/refusal.js";
import { reauthRequired } from "../../core/enforce.js";
import { runAfterHook } from "../../core/hooks.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { isFresh, type Caller } from "../../core/identity.js";
import { text } from "../../core/input.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { fieldError, formErrors, ok, type Refused } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { csrfToken, userJson } from "../../kit/schemas.js";
import { reissueAfterPasswordChange } from "../../core/session-writer.js";
import { normalizePassword } from "../../crypto/passwords/normalize.js";
import { changePasswordSlice } from "./config.js";
import type { ChangeNoticeContext } from "./emails.js";
import { changeUserPassword } from "../../core/change-user-password.js";
import { changePage } from "./pages.js";

/**
 * GET/POST /change: a signed-in user sets a new password. The current password is required when the account
 * has one (a wrong one counts as a failed authentication); a password-less account needs a fresh
 * authentication instead (FS code, not its docs) — so the route declares `authenticated` and asks for
 * freshness only for those accounts. Success stores the new hash with a compare-and-set, rotates both
 * uniquifiers — every other session, remember cookie and auth token dies — and gives the caller's own session
 * a new identifier (remember-me kept). GET never returns an auth token.
 */
interface ChangeView {
  activePassword: boolean;
}

function page(ctx: RequestContext, props: PageProps<unknown, ChangeView>): string {
  const action = ctx.rt.url(sliceOf(ctx.rt.config, changePasswordSlice).changeUrl);
  const activePassword = props.view?.activePassword ?? true;
  return changePage(ctx, {
    action,
    csrfToken: props.csrfToken,
    activePassword,
    errors: props.errors,
    flashes: props.errors ? [] : props.takeFlashes(),
  });
}

/** A password-less account proves itself by a recent authentication instead (null: go on). */
async function freshnessRefusal(ctx: RequestContext, caller: Caller): Promise<Refused | null> {
  return caller.user.password === null && !(await isFresh(ctx, caller)) ? reauthRequired(ctx, caller.user) : null;
}

export const getChangeRoute = (path: string) =>
  defineRoute({
    id: "change-password.form",
    summary: "The change-password form: the user, whether the account has a password to confirm, and a CSRF token.",
    method: "GET",
    path,
    auth: "authenticated",
    output: z.object({ user: userJson, active_password: z.boolean(), csrf_token: csrfToken }),
    page,
    async handle(ctx, { caller }) {
      const refusal = await freshnessRefusal(ctx, caller);
      if (refusal) return refusal;
      const activePassword = caller.user.password !== null;
      return ok(
        { user: await ctx.rt.serializeUser(caller.user), active_password: activePassword },
        { csrf: true, browser: { view: { activePassword } } },
      );
    },
  });

export const postChangeRoute = (path: string) =>
  defineRoute({
    id: "change-password",
    summary: "Set a new password (the current one confirms it); every other session and token of the user ends.",
    method: "POST",
    path,
    auth: "authenticated",
    // 429: the account waits or is locked (the lockout); the current password was not judged.
    limits: ["credential"],
    input: z.object({ password: text(), new_password: text(), new_password_confirm: text() }),
    output: z.object({ user: userJson, csrf_token: csrfToken }),
    page,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const user = caller.user;
      const cfg = sliceOf(rt.config, changePasswordSlice);
      const refusal = await freshnessRefusal(ctx, caller);
      if (refusal) return refusal;
      const view: ChangeView = { activePassword: user.password !== null };

      const current = input.password ?? "";
      const next = input.new_password ?? "";
      const shape: FieldErrors = {};
      if (user.password !== null && !current) shape.password = [{ code: "PASSWORD_NOT_PROVIDED" }];
      if (!next) shape.new_password = [{ code: "PASSWORD_NOT_PROVIDED" }];
      if ((input.new_password_confirm ?? "") !== next)
        shape.new_password_confirm = [{ code: "RETYPE_PASSWORD_MISMATCH" }];
      if (Object.keys(shape).length) return formErrors(shape, { view });
      const veto = await hookVeto(ctx, "change_password", user, view);
      if (veto) return veto;

      if (user.password !== null) {
        const checked = await verifyCredential(ctx, user, {
          kind: "change",
          audit: "password_changed",
          // The signed-in user's current password: a success forgets the account's failures.
          completes: true,
          ...passwordCredential(ctx, current),
        });
        if (!checked.ok)
          return checked.reason === "BUDGET_SPENT"
            ? tooManyAttempts(checked, "LOCKED_OUT", { page: true, view })
            : fieldError("password", "INVALID_PASSWORD", { view });
        const form = rt.config.password.normalizeForm;
        // On the current-password field, where Flask-Security's ChangePasswordForm puts it.
        if (normalizePassword(current, form) === normalizePassword(next, form))
          return fieldError("password", "PASSWORD_IS_THE_SAME", { view });
      }
      const changed = await changeUserPassword(rt, user, next, {
        audit: requestAudit(ctx),
        details: { by: "self", via: caller.mechanism },
      });
      if (!changed.ok)
        return "problems" in changed
          ? formErrors({ new_password: changed.problems }, { view })
          : fieldError("password", "INVALID_PASSWORD", { view });

      // Every session is gone (the operation); the caller continues in a new one, remember-me kept.
      const nowSeconds = ctx.nowSeconds();
      await reissueAfterPasswordChange(ctx, caller, user);
      const authToken = await tokensIfAsked(ctx, user, { authenticatedAtSeconds: nowSeconds, authnVia: ["change"] });
      await runAfterHook(ctx, "change_password", user);
      if (cfg.sendPasswordChangeEmail) {
        const context: ChangeNoticeContext = {
          email: user.email,
          subject: cfg.emailSubjectPasswordChangeNotice,
          forgot_url: rt.services.recovery?.forgotUrl(ctx) ?? null,
        };
        await deliverMail(ctx, "change_notice", user.email, context, user);
      }
      return ok(await signedInPayload(ctx, user, authToken), {
        csrf: true,
        browser: {
          redirect: cfg.postChangeView ?? rt.config.urls.postLoginView,
          flash: { category: "success", message: rt.message("PASSWORD_CHANGE") },
        },
      });
    },
  });
