import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/** Mails of the username features (FS names and wording): the change notice and the recovery mail. */
export interface UsernameChangeNoticeContext extends Record<string, unknown> {
  subject: string;
  /** The new username, or null when it was cleared. */
  username: string | null;
  email: string;
}

export interface UsernameRecoveryContext extends Record<string, unknown> {
  subject: string;
  username: string;
  email: string;
}

export const changeUsernameNotice: MailTemplate<UsernameChangeNoticeContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Your username has been changed.\n` +
    (c.username === null ? `Your account no longer has a username.\n` : `Your username is now: ${c.username}\n`) +
    `If you did not make this change, change your password and sign out your other sessions now.\n`,
  html: (c) =>
    html`<p>Your username has been changed.</p>
<p>${c.username === null ? "Your account no longer has a username." : html`Your username is now: <strong>${c.username}</strong>`}</p>
<p>If you did not make this change, change your password and sign out your other sessions now.</p>`.toString(),
};

export const usernameRecovery: MailTemplate<UsernameRecoveryContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Hello,\nYou recently requested to recover your username.\nYour username is: ${c.username}\n` +
    `If you did not initiate this request, you can safely ignore this email.\n`,
  html: (c) =>
    html`<p>Hello,</p>
<p>You recently requested to recover your username.</p>
<p>Your username is: <strong>${c.username}</strong></p>
<p>If you did not initiate this request, you can safely ignore this email.</p>`.toString(),
};
