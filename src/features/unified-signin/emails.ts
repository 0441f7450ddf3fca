import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/**
 * us_instructions (FS template name): the sign-in code and, at sign-in, the magic link. Context: `login_token`
 * (the code), `login_link` (magic link or null), `username`, `email`, `within` (humanized lifetime), `subject`.
 */
export interface UsInstructionsContext extends Record<string, unknown> {
  subject: string;
  login_token: string;
  login_link: string | null;
  username: string;
  email: string;
  within: string;
}

export const usInstructions: MailTemplate<UsInstructionsContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Hello ${c.username},\n\nUse this code to sign in: ${c.login_token}\n` +
    (c.login_link ? `\nOr sign in with this link: ${c.login_link}\n` : "") +
    `\nThis ${c.login_link ? "code/link" : "code"} will expire in ${c.within}.\n\nIf you did not ask for it, you can ignore this message.\n`,
  html: (c) =>
    html`<p>Hello ${c.username},</p>
<p>Use this code to sign in: <strong>${c.login_token}</strong></p>
${c.login_link ? html`<p>Or <a href="${c.login_link}">sign in with this link</a>.</p>` : ""}
<p>This ${c.login_link ? "code/link" : "code"} will expire in ${c.within}.</p>
<p>If you did not ask for it, you can ignore this message.</p>`.toString(),
};

/**
 * us_methods_changed (Rampart; FS sends none): tells the user a way to sign in was added or removed
 * (ASVS 6.3.7). Context: `methods` (names), `removed`, `email`, `subject`.
 */
export interface UsMethodsChangedContext extends Record<string, unknown> {
  subject: string;
  methods: string;
  removed: boolean;
  email: string;
}

export const usMethodsChanged: MailTemplate<UsMethodsChangedContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Hello ${c.email},\n\nA way to sign in to ${c.appName} was ${c.removed ? "removed" : "added"}: ${c.methods}.\n\nIf this was not you, reset your password and review your sign-in methods.\n`,
  html: (c) =>
    html`<p>Hello ${c.email},</p>
<p>A way to sign in to ${c.appName} was ${c.removed ? "removed" : "added"}: ${c.methods}.</p>
<p>If this was not you, reset your password and review your sign-in methods.</p>`.toString(),
};
