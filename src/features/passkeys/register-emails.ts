import type { Runtime } from "../../core/runtime.js";
import type { UserRecord } from "../../datastore/contracts.js";
import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/**
 * wan_registered_notice (Rampart; FS sends none): a passkey was added to the account — a new way in that the owner
 * should hear about if it was not them. Context: `name` (the passkey's), `usage`, `email`, `subject`.
 */
export interface WanRegisteredContext extends Record<string, unknown> {
  subject: string;
  name: string;
  usage: "first" | "secondary";
  email: string;
}

const what = (c: WanRegisteredContext) =>
  c.usage === "first" ? "It can sign in by itself." : "It can be used as a second factor.";

export const wanRegisteredNotice: MailTemplate<WanRegisteredContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Hello ${c.email},\n\nA passkey named "${c.name}" was added to your ${c.appName} account. ${what(c)}\n\nIf this was not you, reset your password and delete that passkey.\n`,
  html: (c) =>
    html`<p>Hello ${c.email},</p>
<p>A passkey named “${c.name}” was added to your ${c.appName} account. ${what(c)}</p>
<p>If this was not you, reset your password and delete that passkey.</p>`.toString(),
};

/**
 * Whether the passkey notices (added, deleted) may go to the user's address: not while confirmation is on and
 * the address was never confirmed — nobody has shown it is theirs, and the mail would go to a stranger.
 */
export function noticeAllowed(rt: Pick<Runtime, "services">, user: UserRecord): boolean {
  return !(rt.services.confirmation && user.confirmedAt === null);
}
