import type { MailTemplate } from "../../mail/types.js";
import type { Runtime } from "../../core/runtime.js";
import type { UserRecord } from "../../datastore/contracts.js";
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
  /** The ways to sign in the account has after the reset, in words ("your new password", …). */
  methods: string[];
}

/**
 * What still signs in to the account after a reset, for the notice: the holder learns if anything they did
 * not set up remains (and, after a first proof of the mailbox, that everything older is gone).
 */
export function signInMethodsLeft(rt: Runtime, user: UserRecord): string[] {
  const out = ["your new password"];
  if (rt.services.unifiedSignin) {
    let methods: string[] = [];
    try {
      const parsed: unknown = user.usTotpSecrets ? JSON.parse(user.usTotpSecrets) : null;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) methods = Object.keys(parsed);
    } catch {
      methods = [];
    }
    if (methods.includes("email")) out.push("a sign-in code or link sent to this address");
    if (methods.includes("authenticator")) out.push("a sign-in code from an authenticator app");
    if (methods.includes("sms") && user.usPhoneNumber)
      out.push(`a sign-in code texted to a number ending in ${user.usPhoneNumber.slice(-2)}`);
  }
  if (user.tfPrimaryMethod)
    out.push(
      `second factor: ${user.tfPrimaryMethod === "authenticator" ? "an authenticator app" : user.tfPrimaryMethod === "sms" ? "a texted code" : "an emailed code"}`,
    );
  if (user.mfRecoveryCodes && user.mfRecoveryCodes !== "[]")
    out.push("instead of the second factor: one of your recovery codes");
  return out;
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
    `You can now sign in with:\n${c.methods.map((m) => `- ${m}\n`).join("")}\n` +
    `If you did not do this, contact us right away.\n`,
  html: (c) =>
    html`<p>The password of your ${c.appName} account ${c.email} has been reset, and every device signed in to it was signed out.</p>
<p>You can now sign in with:</p>
<ul>${c.methods.map((m) => html`<li>${m}</li>`)}</ul>
<p>If you did not do this, contact us right away.</p>`.toString(),
};
