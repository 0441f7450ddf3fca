import type { RequestContext } from "../../core/context.js";
import { errorsFor as fieldErrorTexts, type FieldErrors } from "../../core/http/respond.js";
import { form, layout, type Flash } from "../../pages/kit.js";

/** The "resend confirmation instructions" page (GET/POST /confirm). */
export function confirmPage(
  ctx: RequestContext,
  options: { action: string; csrfToken: string; email?: string; errors?: FieldErrors; flashes?: Flash[] },
): string {
  const errorsFor = (name: string) => fieldErrorTexts(ctx, options.errors, name);
  const body = form({
    action: options.action,
    id: "send-confirmation-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(""), ...errorsFor("csrf_token")],
    fields: [{ name: "email", label: "Email", type: "email", value: options.email ?? "", autocomplete: "email", required: true, errors: errorsFor("email") }],
    submit: "Resend confirmation instructions",
  });
  return layout("Resend confirmation instructions", body, { appName: ctx.rt.config.appName, flashes: options.flashes ?? [] });
}
