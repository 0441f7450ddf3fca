import type { RequestContext } from "../../core/context.js";
import { errorsFor as fieldErrorTexts, type FieldErrors } from "../../core/http/respond.js";
import { form, html, layout, type Flash } from "../../pages/kit.js";

/** The change-email page: the current address and a form asking for the new one. */
export function changeEmailPage(
  ctx: RequestContext,
  options: {
    action: string;
    csrfToken: string;
    currentEmail: string;
    email?: string;
    errors?: FieldErrors;
    flashes?: Flash[];
  },
): string {
  const errorsFor = (name: string) => fieldErrorTexts(ctx, options.errors, name);
  const body = html`<p>Your current email address is <strong id="current-email">${options.currentEmail}</strong>.</p>
<p>Enter the new address; we will send it a link to confirm the change.</p>${form({
    action: options.action,
    id: "change-email-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(""), ...errorsFor("csrf_token")],
    fields: [
      {
        name: "email",
        label: "New email address",
        type: "email",
        value: options.email ?? "",
        autocomplete: "email",
        required: true,
        errors: errorsFor("email"),
      },
    ],
    submit: "Change email",
  })}`;
  return layout("Change email", body, { appName: ctx.rt.config.appName, flashes: options.flashes ?? [] });
}
