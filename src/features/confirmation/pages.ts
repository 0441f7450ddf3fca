import type { RequestContext } from "../../core/context.js";
import { emailRequestPage, type EmailRequestPageOptions } from "../../kit/http/email-request-page.js";

/** The "resend confirmation instructions" page (GET/POST /confirm). */
export function confirmPage(ctx: RequestContext, options: EmailRequestPageOptions): string {
  return emailRequestPage(
    ctx,
    {
      title: "Resend confirmation instructions",
      formId: "send-confirmation-form",
      submit: "Resend confirmation instructions",
    },
    options,
  );
}
