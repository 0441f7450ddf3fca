import type { RequestContext } from "../../core/context.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { form, layout, type FieldSpec, type Flash } from "../../pages/kit.js";

export function changePage(
  ctx: RequestContext,
  options: { action: string; csrfToken: string; activePassword: boolean; errors?: FieldErrors; flashes?: Flash[] },
): string {
  const { rt } = ctx;
  const fields: FieldSpec[] = [];
  if (options.activePassword) {
    fields.push({
      name: "password",
      label: "Current password",
      type: "password",
      autocomplete: "current-password",
      required: true,
      errors: errorsFor(ctx, options.errors, "password"),
    });
  }
  fields.push(
    {
      name: "new_password",
      label: "New password",
      type: "password",
      autocomplete: "new-password",
      required: true,
      errors: errorsFor(ctx, options.errors, "new_password"),
    },
    {
      name: "new_password_confirm",
      label: "Retype new password",
      type: "password",
      autocomplete: "new-password",
      required: true,
      errors: errorsFor(ctx, options.errors, "new_password_confirm"),
    },
  );
  const body = form({
    action: options.action,
    id: "change-password-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "csrf_token")],
    fields,
    submit: "Change password",
  });
  return layout("Change password", body, { appName: rt.config.appName, flashes: options.flashes ?? [] });
}
