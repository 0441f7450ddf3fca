import type { RequestContext } from "../../core/context.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { form, html, layout, type Flash, type SafeHtml } from "../../pages/kit.js";

/**
 * The page of every flow that starts from an email address (forgot password, resend confirmation, recover
 * username): an optional intro, one email field, the form-level and CSRF errors, an optional nav link.
 */
export interface EmailRequestPageSpec {
  title: string;
  formId: string;
  submit: string;
  intro?: string;
  nav?: { href: string; text: string };
}

export interface EmailRequestPageOptions {
  action: string;
  csrfToken: string;
  email?: string;
  errors?: FieldErrors;
  flashes?: Flash[];
}

export function emailRequestPage(
  ctx: RequestContext,
  spec: EmailRequestPageSpec,
  options: EmailRequestPageOptions,
): string {
  const fieldErrors = (name: string) => errorsFor(ctx, options.errors, name);
  const formHtml: SafeHtml = form({
    action: options.action,
    id: spec.formId,
    csrfToken: options.csrfToken,
    formErrors: [...fieldErrors(""), ...fieldErrors("csrf_token")],
    fields: [
      {
        name: "email",
        label: "Email",
        type: "email",
        value: options.email ?? "",
        autocomplete: "email",
        required: true,
        errors: fieldErrors("email"),
      },
    ],
    submit: spec.submit,
  });
  const body = html`${spec.intro ? html`<p>${spec.intro}</p>` : ""}${formHtml}${spec.nav ? html`<nav><a href="${spec.nav.href}">${spec.nav.text}</a></nav>` : ""}`;
  return layout(spec.title, body, { appName: ctx.rt.config.appName, flashes: options.flashes ?? [] });
}
