import type { RequestContext } from "../../core/context.js";
import { errorsFor as fieldErrorTexts, type FieldErrors } from "../../core/http/respond.js";
import { form, html, layout, type FieldSpec, type Flash } from "../../pages/kit.js";
import { wanConfig } from "./ceremony.js";
import { ceremonyForm, passkeysScript } from "./page-kit.js";

/**
 * The passkey-first sign-up pages (as FS's register page then its "now use your authenticator" step): the form
 * (email, username when enabled, the passkey's name), then the ceremony form the browser script runs, then the
 * recovery codes, shown this once.
 */
export interface SignupEcho {
  email: string;
  username: string;
  name: string;
}

/** What the pages after the form need: the ceremony to run, or the account's recovery codes. */
export type SignupView =
  | { step: "form"; echo: SignupEcho }
  | { step: "ceremony"; options: unknown; action: string }
  | { step: "done"; codes: string[]; signedIn: boolean; pendingEmail: string | null; next: string };

export function signupFormPage(
  ctx: RequestContext,
  options: { csrfToken: string; echo: SignupEcho; errors?: FieldErrors; flashes?: Flash[] },
): string {
  const { rt } = ctx;
  const errorsFor = (name: string) => fieldErrorTexts(ctx, options.errors, name);
  const fields: FieldSpec[] = [
    {
      name: "email",
      label: "Email",
      type: "email",
      value: options.echo.email,
      autocomplete: "email",
      required: true,
      errors: errorsFor("email"),
    },
  ];
  if (rt.config.username.enable)
    fields.push({
      name: "username",
      label: "Username",
      value: options.echo.username,
      autocomplete: "username",
      required: rt.config.username.required,
      errors: errorsFor("username"),
    });
  fields.push({
    name: "name",
    label: "Name of this passkey",
    value: options.echo.name,
    required: true,
    errors: errorsFor("name"),
  });
  const body = html`${form({
    action: rt.url(wanConfig(rt).signupUrl),
    id: "wan-signup-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(""), ...errorsFor("csrf_token")],
    fields,
    submit: "Continue",
  })}<nav><a href="${rt.url(rt.config.urls.login)}">Already have an account? Sign in</a></nav>`;
  return layout("Sign up with a passkey", body, { appName: rt.config.appName, flashes: options.flashes ?? [] });
}

export function signupCeremonyPage(
  ctx: RequestContext,
  options: { csrfToken: string; options: unknown; action: string; errors?: FieldErrors },
): string {
  const errors = fieldErrorTexts(ctx, options.errors, "");
  const body = html`<p>Create the passkey with your device (fingerprint, face, PIN or security key).</p>
${errors.map((e) => html`<p class="flash error">${e}</p>`)}${ceremonyForm({
    kind: "register",
    options: options.options,
    action: options.action,
    csrfToken: options.csrfToken,
    button: "Create passkey",
    id: "wan-signup-ceremony",
  })}${passkeysScript()}`;
  return layout("Sign up with a passkey", body, { appName: ctx.rt.config.appName });
}

export function signupDonePage(
  ctx: RequestContext,
  view: { codes: string[]; signedIn: boolean; pendingEmail: string | null; next: string },
): string {
  const { rt } = ctx;
  const pending = view.pendingEmail
    ? html`<p class="flash info" role="status">${rt.message("CONFIRM_REGISTRATION", { email: view.pendingEmail })}</p>`
    : "";
  const body = html`${pending}<p>Your account is ready. These recovery codes are shown only now: store them somewhere safe.
Each one works once in place of a second factor when you sign in.</p>
<ul id="recovery-codes">${view.codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<p><a href="${rt.url(view.next)}">Continue</a></p>`;
  return layout("Sign up with a passkey", body, { appName: rt.config.appName });
}
