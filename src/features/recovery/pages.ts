import type { RequestContext } from "../../core/context.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { form, html, layout, type Flash } from "../../pages/kit.js";

export function forgotPage(
  ctx: RequestContext,
  options: { action: string; csrfToken: string; email?: string; errors?: FieldErrors; flashes?: Flash[] },
): string {
  const { rt } = ctx;
  const body = html`<p>Enter the email address of your account and we will send you a link to choose a new password.</p>${form({
    action: options.action,
    id: "forgot-password-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "csrf_token")],
    fields: [{ name: "email", label: "Email", type: "email", value: options.email ?? "", autocomplete: "email", required: true, errors: errorsFor(ctx, options.errors, "email") }],
    submit: "Send reset link",
  })}<nav><a href="${rt.url(rt.config.urls.login)}">Back to sign in</a></nav>`;
  return layout("Forgot password", body, { appName: rt.config.appName, flashes: options.flashes ?? [] });
}

export function resetPage(
  ctx: RequestContext,
  options: { action: string; csrfToken: string; confirmRequired: boolean; errors?: FieldErrors },
): string {
  const { rt } = ctx;
  const fields = [
    { name: "password", label: "New password", type: "password" as const, autocomplete: "new-password", required: true, errors: errorsFor(ctx, options.errors, "password") },
  ];
  if (options.confirmRequired) {
    fields.push({ name: "password_confirm", label: "Retype password", type: "password", autocomplete: "new-password", required: true, errors: errorsFor(ctx, options.errors, "password_confirm") });
  }
  const body = form({
    action: options.action,
    id: "reset-password-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "csrf_token")],
    fields,
    submit: "Reset password",
  });
  return layout("Reset password", body, { appName: rt.config.appName });
}
