import type { RequestContext } from "../../core/context.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { form, html, layout } from "../../pages/kit.js";
import { tfConfig } from "./state.js";

/** HTML pages of the recovery codes: the generate/show page (codes only right after generation) and the code form. */
export function codesPage(
  ctx: RequestContext,
  options: { csrfToken: string; codes: string[] | null; left: number; askFactorCode?: boolean; errors?: FieldErrors },
): string {
  const { rt } = ctx;
  const shown = options.codes
    ? html`<p class="notice" id="store-now"><strong>Store these codes now, somewhere safe.</strong> They are shown only this once; each one signs you in once when you cannot use your second factor.</p>
<ul id="recovery-codes">${options.codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>`
    : html`<p id="codes-left">You have ${String(options.left)} unused recovery code(s). Codes are stored hashed and cannot be shown again; generate a new set to replace them.</p>`;
  // A user with two-factor may be asked for the current code (decision 44).
  const generate = form({
    action: rt.url(tfConfig(rt).recoveryCodesUrl),
    id: "mf-recovery-codes-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "csrf_token")],
    fields: options.askFactorCode
      ? [
          {
            name: "code",
            label: "Current two-factor code (if asked)",
            type: "text",
            autocomplete: "one-time-code",
            errors: errorsFor(ctx, options.errors, "code"),
          },
        ]
      : [],
    submit: "Generate new recovery codes",
  });
  return layout("Recovery codes", html`${shown}${generate}`, { appName: rt.config.appName });
}

export function recoveryPage(ctx: RequestContext, options: { csrfToken: string; errors?: FieldErrors }): string {
  const { rt } = ctx;
  const body = html`<p>Enter one of your recovery codes.</p>${form({
    action: rt.url(tfConfig(rt).recoveryUrl),
    id: "mf-recovery-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "csrf_token")],
    fields: [
      {
        name: "code",
        label: "Recovery code",
        type: "text",
        autocomplete: "off",
        required: true,
        errors: errorsFor(ctx, options.errors, "code"),
      },
    ],
    submit: "Sign in",
  })}`;
  return layout("Use a recovery code", body, { appName: rt.config.appName });
}
