import type { RequestContext } from "../../core/context.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { errorsFor } from "../../core/http/respond.js";
import { form, html, layout, reauthLinks, type Flash, type ReauthLink, type SafeHtml } from "../../pages/kit.js";

export function loginPage(
  ctx: RequestContext,
  options: {
    csrfToken: string;
    identity?: string;
    next?: string | null;
    remember?: boolean;
    errors?: FieldErrors;
    flashes?: Flash[];
    /** Other features' blocks for the sign-in slot (e.g. provider buttons), after the form. */
    extras?: SafeHtml;
  },
): string {
  const { rt } = ctx;
  const useUsername = rt.config.username.enable;
  const action = rt.url(rt.config.urls.login) + (options.next ? `?next=${encodeURIComponent(options.next)}` : "");
  const body = form({
    action,
    id: "login-form",
    csrfToken: options.csrfToken,
    formErrors: [
      ...errorsFor(ctx, options.errors, ""),
      ...errorsFor(ctx, options.errors, "next"),
      ...errorsFor(ctx, options.errors, "csrf_token"),
    ],
    fields: [
      {
        name: "email",
        label: useUsername ? "Email or username" : "Email",
        type: useUsername ? "text" : "email",
        value: options.identity ?? "",
        autocomplete: "username",
        required: true,
        errors: [...errorsFor(ctx, options.errors, "email"), ...errorsFor(ctx, options.errors, "username")],
      },
      {
        name: "password",
        label: "Password",
        type: "password",
        autocomplete: "current-password",
        required: true,
        errors: errorsFor(ctx, options.errors, "password"),
      },
      { name: "remember", label: "Remember me", type: "checkbox", value: options.remember ? "true" : "" },
    ],
    submit: "Sign in",
  });
  return layout("Sign in", html`${body}${options.extras ?? ""}`, {
    appName: rt.config.appName,
    flashes: options.flashes ?? [],
  });
}

export function verifyPage(
  ctx: RequestContext,
  options: {
    csrfToken: string;
    next?: string | null;
    errors?: FieldErrors;
    links?: ReauthLink[];
    extras?: SafeHtml;
    /** A message from the redirect that brought the browser here (a provider re-authentication refused). */
    flashes?: Flash[];
  },
): string {
  const { rt } = ctx;
  const query = options.next ? `?next=${encodeURIComponent(options.next)}` : "";
  const action = rt.url(rt.config.urls.verify) + query;
  const body = html`<p>Please confirm your password to continue.</p>${form({
    action,
    id: "verify-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "csrf_token")],
    fields: [
      {
        name: "password",
        label: "Password",
        type: "password",
        autocomplete: "current-password",
        required: true,
        errors: errorsFor(ctx, options.errors, "password"),
      },
    ],
    submit: "Confirm",
  })}${options.extras ?? ""}${reauthLinks(options.links, query)}`;
  return layout("Confirm it's you", body, { appName: rt.config.appName, flashes: options.flashes ?? [] });
}

export function logoutConfirmPage(ctx: RequestContext, csrfToken: string): string {
  const { rt } = ctx;
  const body = form({
    action: rt.url(rt.config.urls.logout),
    id: "logout-form",
    csrfToken,
    fields: [],
    submit: "Sign out",
  });
  return layout(rt.message("LOGOUT_CONFIRM"), body, { appName: rt.config.appName });
}
