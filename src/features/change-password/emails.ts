import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/**
 * change_notice (FS template name). Context: `email`, `subject` (from config) and `forgot_url` — the
 * forgot-password page when the recovery feature is on (so someone who did not make the change can take the
 * account back), else null. HTML goes through the kit's escaping `html` tag.
 */
export interface ChangeNoticeContext extends Record<string, unknown> {
  email: string;
  subject: string;
  forgot_url: string | null;
}

export const changeNotice: MailTemplate<ChangeNoticeContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `The password of your ${c.appName} account ${c.email} has been changed, and every other device signed in to it was signed out.\n\n` +
    (c.forgot_url
      ? `If you did not do this, reset your password right away:\n\n${c.forgot_url}\n`
      : `If you did not do this, contact us right away.\n`),
  html: (c) =>
    html`<p>The password of your ${c.appName} account ${c.email} has been changed, and every other device signed in to it was signed out.</p>
${c.forgot_url ? html`<p>If you did not do this, <a href="${c.forgot_url}">reset your password</a> right away.</p>` : html`<p>If you did not do this, contact us right away.</p>`}`.toString(),
};
