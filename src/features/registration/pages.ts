import type { RequestContext } from "../../core/context.js";
import { sliceOf } from "../../core/config/slice.js";
import { errorsFor as fieldErrorTexts, type FieldErrors } from "../../core/http/respond.js";
import { form, html, layout, type FieldSpec, type Flash, type SafeHtml } from "../../pages/kit.js";
import { registrationSlice } from "./config.js";
import type { FormEcho } from "./form.js";
import { registerFields } from "./form.js";

/** The registration page: email, username (when enabled), password (+ confirmation), the app's fields. */
export function registerPage(
  ctx: RequestContext,
  options: {
    csrfToken: string;
    echo?: Partial<FormEcho>;
    errors?: FieldErrors;
    flashes?: Flash[];
    /** Other features' blocks for the registration slot (e.g. "Continue with GitHub"), after the form. */
    extras?: SafeHtml;
  },
): string {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, registrationSlice);
  const echo = options.echo ?? {};
  const errorsFor = (name: string) => fieldErrorTexts(ctx, options.errors, name);
  const fields: FieldSpec[] = [
    {
      name: "email",
      label: "Email",
      type: "email",
      value: echo.email ?? "",
      autocomplete: "email",
      required: true,
      errors: errorsFor("email"),
    },
  ];
  if (rt.config.username.enable) {
    fields.push({
      name: "username",
      label: "Username",
      value: echo.username ?? "",
      autocomplete: "username",
      required: rt.config.username.required,
      errors: errorsFor("username"),
    });
  }
  fields.push({
    name: "password",
    label: "Password",
    type: "password",
    autocomplete: "new-password",
    required: true,
    errors: errorsFor("password"),
  });
  if (cfg.passwordConfirmRequired) {
    fields.push({
      name: "password_confirm",
      label: "Retype password",
      type: "password",
      autocomplete: "new-password",
      required: true,
      errors: errorsFor("password_confirm"),
    });
  }
  for (const [name] of registerFields(rt)) {
    fields.push({
      name,
      label: name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase()),
      value: echo.fields?.[name] ?? "",
      errors: errorsFor(name),
    });
  }
  const next = echo.next ?? null;
  const action = rt.url(cfg.url) + (next ? `?next=${encodeURIComponent(next)}` : "");
  const body = html`${form({
    action,
    id: "register-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(""), ...errorsFor("next"), ...errorsFor("csrf_token")],
    fields,
    submit: "Register",
  })}${options.extras ?? ""}<nav><a href="${rt.url(rt.config.urls.login)}">Already have an account? Sign in</a></nav>`;
  return layout("Register", body, { appName: rt.config.appName, flashes: options.flashes ?? [] });
}
