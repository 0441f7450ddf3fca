import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/**
 * Registration mails, by FS template name. Contexts use FS's names so app overrides read naturally:
 * - welcome: user, email, confirmation_link, confirmation_token, within (links only when confirmation is on)
 * - welcome_existing (generic mode, to the owner of a taken address): user, email, login_link, reset_link,
 *   reset_token, reset_within, confirmation_link, confirmation_token, within (each only when available)
 * - welcome_existing_username (generic mode, to the address that asked for a taken username): email, username
 * Every context also carries `subject` (EMAIL_SUBJECT_REGISTER).
 */
interface Base extends Record<string, unknown> {
  email: string;
  subject?: string;
}

export interface WelcomeContext extends Base {
  confirmation_link?: string | null;
  within?: string | null;
}

export interface WelcomeExistingContext extends WelcomeContext {
  login_link: string;
  reset_link?: string | null;
  reset_within?: string | null;
}

export interface WelcomeExistingUsernameContext extends Base {
  username: string;
}

const subject = (c: Base) => c.subject ?? "Welcome";

export const welcome: MailTemplate<WelcomeContext> = {
  subject,
  text: (c) =>
    [
      `Welcome ${c.email}!`,
      ...(c.confirmation_link
        ? [
            "",
            "You can confirm your email through the link below:",
            "",
            c.confirmation_link,
            "",
            `This link will expire in ${c.within}.`,
          ]
        : []),
      "",
    ].join("\n"),
  html: (c) =>
    html`<p>Welcome ${c.email}!</p>${
      c.confirmation_link
        ? html`<p>You can confirm your email through the link below:</p>
<p><a href="${c.confirmation_link}">Confirm my account</a></p>
<p>This link will expire in ${c.within}.</p>`
        : ""
    }`.value,
};

export const welcomeExisting: MailTemplate<WelcomeExistingContext> = {
  subject,
  text: (c) =>
    [
      `Hello ${c.email}!`,
      "",
      "Someone (hopefully you) tried to register a new account with this email address, but it already has an account.",
      "",
      `If that was you, sign in here: ${c.login_link}`,
      ...(c.reset_link
        ? [
            "",
            "If you forgot your password, you can reset it with the link below:",
            "",
            c.reset_link,
            "",
            `This link will expire in ${c.reset_within}.`,
          ]
        : []),
      ...(c.confirmation_link
        ? [
            "",
            "Your email has not been confirmed yet. You can confirm it through the link below:",
            "",
            c.confirmation_link,
            "",
            `This link will expire in ${c.within}.`,
          ]
        : []),
      "",
      "If it was not you, you can ignore this message: nothing has changed.",
      "",
    ].join("\n"),
  html: (c) =>
    html`<p>Hello ${c.email}!</p>
<p>Someone (hopefully you) tried to register a new account with this email address, but it already has an account.</p>
<p>If that was you, <a href="${c.login_link}">sign in here</a>.</p>${
      c.reset_link
        ? html`<p>If you forgot your password, you can <a href="${c.reset_link}">reset it</a>. This link will expire in ${c.reset_within}.</p>`
        : ""
    }${
      c.confirmation_link
        ? html`<p>Your email has not been confirmed yet: <a href="${c.confirmation_link}">confirm it</a>. This link will expire in ${c.within}.</p>`
        : ""
    }<p>If it was not you, you can ignore this message: nothing has changed.</p>`.value,
};

export const welcomeExistingUsername: MailTemplate<WelcomeExistingUsernameContext> = {
  subject,
  text: (c) =>
    [
      `Hello ${c.email}!`,
      "",
      `You tried to register with the username "${c.username}", which is already associated with an account.`,
      "No account was created. Please register again with a different username.",
      "",
    ].join("\n"),
  html: (c) =>
    html`<p>Hello ${c.email}!</p>
<p>You tried to register with the username “${c.username}”, which is already associated with an account.</p>
<p>No account was created. Please register again with a different username.</p>`.value,
};
