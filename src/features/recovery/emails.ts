import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/**
 * The recovery mails, by FS template name. Context: `email` (the account), `subject` (from config), and for
 * reset_instructions `reset_link`, `reset_token` and `within` ("1 day"). Apps override any part through
 * `mailTemplates`; HTML bodies go through the kit's escaping `html` tag.
 */
export interface ResetInstructionsContext extends Record<string, unknown> {
  email: string;
  subject: string;
  reset_link: string;
  reset_token: string;
  within: string;
}

export interface ResetNoticeContext extends Record<string, unknown> {
  email: string;
  subject: string;
}

export const resetInstructions: MailTemplate<ResetInstructionsContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Someone (hopefully you) asked to reset the password of your ${c.appName} account ${c.email}.\n\n` +
    `Click the link below to choose a new password:\n\n${c.reset_link}\n\n` +
    `This link will expire in ${c.within}.\n\n` +
    `If you did not ask for this, ignore this message: your password stays as it is.\n`,
  html: (c) =>
    html`<p>Someone (hopefully you) asked to reset the password of your ${c.appName} account ${c.email}.</p>
<p><a href="${c.reset_link}">Choose a new password</a></p>
<p>This link will expire in ${c.within}.</p>
<p>If you did not ask for this, ignore this message: your password stays as it is.</p>`.toString(),
};

export const resetNotice: MailTemplate<ResetNoticeContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `The password of your ${c.appName} account ${c.email} has been reset, and every device signed in to it was signed out.\n\n` +
    `If you did not do this, contact us right away.\n`,
  html: (c) =>
    html`<p>The password of your ${c.appName} account ${c.email} has been reset, and every device signed in to it was signed out.</p>
<p>If you did not do this, contact us right away.</p>`.toString(),
};
