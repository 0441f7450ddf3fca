import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { text } from "../../core/input.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { formErrors, ok } from "../../core/outcome.js";
import { checkUsername } from "../../core/policy/index.js";
import type { PageProps } from "../../core/render.js";
import { csrfToken, userJson } from "../../kit/schemas.js";
import { DuplicateError, type UserRecord } from "../../datastore/contracts.js";
import { usernameFeaturesSlice } from "./config.js";
import { changeUsernamePage } from "./pages.js";

/**
 * GET/POST /change-username (fresh authentication required). The new username goes through the same rules as
 * at registration (FS UsernameUtil: no HTML-special characters, letters and numbers only, NFKD, length) and
 * must be free, compared case-insensitively (the unique canonical column settles races). An empty value clears
 * the username when usernames are optional. The account's address gets a notice (SEND_USERNAME_CHANGE_EMAIL).
 */
interface ChangeUsernameView {
  currentUsername: string | null;
}

function page(ctx: RequestContext, props: PageProps<{ username?: string }, ChangeUsernameView>): string {
  const { changeUsernameUrl } = sliceOf(ctx.rt.config, usernameFeaturesSlice);
  return changeUsernamePage(ctx, {
    action: ctx.rt.url(changeUsernameUrl),
    csrfToken: props.csrfToken,
    currentUsername: props.view?.currentUsername ?? null,
    flashes: props.takeFlashes(),
    ...(props.errors ? { username: props.input.username ?? "", errors: props.errors } : {}),
  });
}

export const getChangeUsernameRoute = (path: string) =>
  defineRoute({
    id: "change-username.form",
    summary: "The change-username form: the user, the current username (null when none) and a CSRF token.",
    method: "GET",
    path,
    auth: "fresh",
    output: z.object({ user: userJson, current_username: z.string().nullable(), csrf_token: csrfToken }),
    page,
    async handle(ctx, { caller }) {
      const user = caller.user;
      return ok(
        { user: await ctx.rt.serializeUser(user), current_username: user.username },
        { csrf: true, browser: { view: { currentUsername: user.username } } },
      );
    },
  });

export const postChangeUsernameRoute = (path: string) =>
  defineRoute({
    id: "change-username",
    summary: "Set a new username, or clear it with an empty value when usernames are optional.",
    method: "POST",
    path,
    auth: "fresh",
    input: z.object({ username: text() }),
    output: z.object({ user: userJson, csrf_token: csrfToken }),
    page,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const user = caller.user;
      const cfg = sliceOf(rt.config, usernameFeaturesSlice);
      // Errors name the username the account still has.
      const fail = (errors: FieldErrors) =>
        formErrors(errors, { view: { currentUsername: user.username }, extra: { current_username: user.username } });

      let next: string | null;
      if (input.username === "" && !rt.config.username.required) {
        next = null;
      } else {
        const checked = checkUsername(rt.config.username, input.username);
        if (!checked.ok) return fail({ username: [checked.ref] });
        next = checked.username;
      }
      const taken = () =>
        fail({ username: [{ code: "USERNAME_ALREADY_ASSOCIATED", params: { username: next ?? "" } }] });
      if (next === null && user.username === null) return fail({ username: [{ code: "USERNAME_NOT_PROVIDED" }] });
      if (next !== null && (await rt.datastore.users.findByUsername(next))) return taken();
      const veto = await hookVeto(ctx, "change_username", user);
      if (veto) return fail(veto.errors);

      const oldUsername = user.username;
      try {
        await rt.datastore.users.update(user.id, { username: next });
      } catch (error) {
        if (error instanceof DuplicateError && error.field === "username") return taken();
        throw error;
      }
      const changed: UserRecord = { ...user, username: next };
      await recordAudit(ctx, {
        event: "username_changed",
        outcome: "success",
        user: changed,
        details: { old_username: oldUsername, username: next },
      });
      if (cfg.sendUsernameChangeEmail) {
        await deliverMail(
          ctx,
          "change_username_notice",
          changed.email,
          { subject: cfg.changeNoticeSubject, username: next, email: changed.email },
          changed,
        );
      }
      await rt.events.emit("username_changed", { user: changed, oldUsername });
      await runAfterHook(ctx, "change_username", changed);
      return ok(
        { user: await rt.serializeUser(changed) },
        {
          csrf: true,
          browser: {
            redirect: cfg.postChangeUsernameView ?? rt.config.urls.postLoginView,
            flash: { category: "success", message: rt.message("USERNAME_CHANGE") },
          },
        },
      );
    },
  });
