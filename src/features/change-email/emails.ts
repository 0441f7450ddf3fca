import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/**
 * Mails of the change-email flow. `change_email_instructions` (FS name and wording) goes to the NEW address
 * with the confirmation link; `change_email_notice` (a Rampart addition) tells the CURRENT address that a
 * change was requested, so a hijacked session cannot move the account away silently.
 */
export interface ChangeEmailInstructionsContext extends Record<string, unknown> {
  subject: string;
  /** Absolute confirmation link (configured origin). */
  link: string;
  token: string;
  /** Humanized lifetime of the link ("2 hours"). */
  within: string;
  /** The address currently registered. */
  email: string;
  new_email: string;
}

export interface ChangeEmailNoticeContext extends Record<string, unknown> {
  subject: string;
  email: string;
  new_email: string;
  within: string;
}

export const changeEmailInstructions: MailTemplate<ChangeEmailInstructionsContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Use ${c.link} to confirm your new email address.\n` +
    `This link will expire in ${c.within}.\n` +
    `Your currently registered email is ${c.email}.\n`,
  html: (c) =>
    html`<p>Use <a href="${c.link}">this link</a> to confirm your new email address.</p>
<p>This link will expire in ${c.within}.</p>
<p>Your currently registered email is ${c.email}.</p>`.toString(),
};

export const changeEmailNotice: MailTemplate<ChangeEmailNoticeContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Someone signed in to your ${c.appName} account asked to change its email address from ${c.email} to ${c.new_email}.\n` +
    `Nothing changes until the new address confirms within ${c.within}.\n` +
    `If this was not you, change your password and sign out your other sessions now.\n`,
  html: (c) =>
    html`<p>Someone signed in to your ${c.appName} account asked to change its email address from ${c.email} to ${c.new_email}.</p>
<p>Nothing changes until the new address confirms within ${c.within}.</p>
<p>If this was not you, change your password and sign out your other sessions now.</p>`.toString(),
};
