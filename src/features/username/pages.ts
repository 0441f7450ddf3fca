import type { RequestContext } from "../../core/context.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { form, html, layout, type Flash } from "../../pages/kit.js";
import { emailRequestPage, type EmailRequestPageOptions } from "../../kit/http/email-request-page.js";

export function changeUsernamePage(
  ctx: RequestContext,
  options: {
    action: string;
    csrfToken: string;
    currentUsername: string | null;
    username?: string;
    errors?: FieldErrors;
    flashes?: Flash[];
  },
): string {
  const current = options.currentUsername
    ? html`<p>Your current username is <strong id="current-username">${options.currentUsername}</strong>.</p>`
    : html`<p id="current-username">You have no username yet.</p>`;
  const body = html`${current}${form({
    action: options.action,
    id: "change-username-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "csrf_token")],
    fields: [
      {
        name: "username",
        label: "New username",
        value: options.username ?? "",
        autocomplete: "username",
        required: ctx.rt.config.username.required,
        errors: errorsFor(ctx, options.errors, "username"),
      },
    ],
    submit: "Change username",
  })}`;
  return layout("Change username", body, { appName: ctx.rt.config.appName, flashes: options.flashes ?? [] });
}

export function recoverUsernamePage(ctx: RequestContext, options: EmailRequestPageOptions): string {
  return emailRequestPage(
    ctx,
    {
      title: "Recover username",
      formId: "recover-username-form",
      submit: "Recover username",
      intro: "Enter the email address of your account; we will send your username to it.",
    },
    options,
  );
}
