import type { RequestContext } from "../../core/context.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { form, layout } from "../../pages/kit.js";
import { emailRequestPage, type EmailRequestPageOptions } from "../../kit/http/email-request-page.js";

export function forgotPage(ctx: RequestContext, options: EmailRequestPageOptions): string {
  return emailRequestPage(
    ctx,
    {
      title: "Forgot password",
      formId: "forgot-password-form",
      submit: "Send reset link",
      intro: "Enter the email address of your account and we will send you a link to choose a new password.",
      nav: { href: ctx.rt.url(ctx.rt.config.urls.login), text: "Back to sign in" },
    },
    options,
  );
}

export function resetPage(
  ctx: RequestContext,
  options: { action: string; csrfToken: string; confirmRequired: boolean; errors?: FieldErrors },
): string {
  const { rt } = ctx;
  const fields = [
    {
      name: "password",
      label: "New password",
      type: "password" as const,
      autocomplete: "new-password",
      required: true,
      errors: errorsFor(ctx, options.errors, "password"),
    },
  ];
  if (options.confirmRequired) {
    fields.push({
      name: "password_confirm",
      label: "Retype password",
      type: "password",
      autocomplete: "new-password",
      required: true,
      errors: errorsFor(ctx, options.errors, "password_confirm"),
    });
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
