import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/**
 * wan_deleted (Rampart; FS sends none): tells the user a passkey was removed from the account, so a removal they
 * did not make is noticed. Context: `name` (the passkey's), `email`, `subject`.
 */
export interface WanDeletedContext extends Record<string, unknown> {
  subject: string;
  name: string;
  email: string;
}

export const wanDeleted: MailTemplate<WanDeletedContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Hello ${c.email},\n\nThe passkey "${c.name}" was removed from your ${c.appName} account: it can no longer be used to sign in.\n\nIf this was not you, reset your password and review your passkeys.\n`,
  html: (c) =>
    html`<p>Hello ${c.email},</p>
<p>The passkey &ldquo;${c.name}&rdquo; was removed from your ${c.appName} account: it can no longer be used to sign in.</p>
<p>If this was not you, reset your password and review your passkeys.</p>`.toString(),
};
