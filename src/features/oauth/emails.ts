import type { RequestContext } from "../../core/context.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/**
 * oauth_linked_notice / oauth_unlinked_notice (Rampart; FS sends none): a provider identity was linked to or
 * removed from the account — a way in added or taken away, which the owner should hear about if it was not them.
 * Context: `provider` (its label), `account` (the identity's email at the provider, or its id), `email`.
 */
export interface OauthNoticeContext extends Record<string, unknown> {
  provider: string;
  account: string;
  email: string;
}

const who = (c: OauthNoticeContext) => (c.account ? ` (${c.account})` : "");

export const oauthLinkedNotice: MailTemplate<OauthNoticeContext> = {
  subject: "A sign-in method was added to your account",
  text: (c) =>
    `Hello ${c.email},\n\nYour ${c.provider} account${who(c)} was linked to your ${c.appName} account: it can now be used to sign in.\n\nIf this was not you, reset your password and unlink it from your linked accounts page.\n`,
  html: (c) =>
    html`<p>Hello ${c.email},</p>
<p>Your ${c.provider} account${who(c)} was linked to your ${c.appName} account: it can now be used to sign in.</p>
<p>If this was not you, reset your password and unlink it from your linked accounts page.</p>`.toString(),
};

export const oauthUnlinkedNotice: MailTemplate<OauthNoticeContext> = {
  subject: "A sign-in method was removed from your account",
  text: (c) =>
    `Hello ${c.email},\n\nYour ${c.provider} account${who(c)} was unlinked from your ${c.appName} account: it can no longer be used to sign in.\n\nIf this was not you, reset your password and review your linked accounts.\n`,
  html: (c) =>
    html`<p>Hello ${c.email},</p>
<p>Your ${c.provider} account${who(c)} was unlinked from your ${c.appName} account: it can no longer be used to sign in.</p>
<p>If this was not you, reset your password and review your linked accounts.</p>`.toString(),
};

export const oauthEmails = { oauth_linked_notice: oauthLinkedNotice, oauth_unlinked_notice: oauthUnlinkedNotice };

/**
 * Mails the notice after the change is committed (the notice never decides the answer). Not while confirmation
 * is on and the address was never confirmed: nobody has shown the mailbox is theirs.
 */
export async function sendOauthNotice(
  ctx: RequestContext,
  template: keyof typeof oauthEmails,
  user: UserRecord,
  what: { provider: string; account: string | null },
): Promise<void> {
  if (ctx.rt.services.confirmation && user.confirmedAt === null) return;
  const context: OauthNoticeContext = { provider: what.provider, account: what.account ?? "", email: user.email };
  await deliverMail(ctx, template, user.email, context, user);
}
