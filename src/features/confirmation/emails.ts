import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/**
 * confirmation_instructions (FS name): sent by POST /confirm. Context (FS names): user, email,
 * confirmation_link, confirmation_token, within (humanized), subject (from EMAIL_SUBJECT_CONFIRM).
 */
export interface ConfirmationMailContext extends Record<string, unknown> {
  email: string;
  confirmation_link: string;
  confirmation_token: string;
  within: string;
  subject?: string;
}

export const confirmationInstructions: MailTemplate<ConfirmationMailContext> = {
  subject: (c) => c.subject ?? "Please confirm your email",
  text: (c) =>
    [
      "Please confirm your email through the link below:",
      "",
      c.confirmation_link,
      "",
      `This link will expire in ${c.within}.`,
      "",
    ].join("\n"),
  html: (c) =>
    html`<p>Please confirm your email through the link below:</p>
<p><a href="${c.confirmation_link}">Confirm my account</a></p>
<p>This link will expire in ${c.within}.</p>`.value,
};
