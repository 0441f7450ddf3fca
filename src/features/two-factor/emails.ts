import type { MailTemplate } from "../../mail/types.js";
import { html } from "../../pages/kit.js";

/**
 * two_factor_instructions (FS template name): the second-factor code. Context: `token` (the code), `username`,
 * `email`, `within` (humanized lifetime) and `subject`. HTML goes through the kit's escaping `html` tag.
 */
export interface TwoFactorInstructionsContext extends Record<string, unknown> {
  subject: string;
  token: string;
  username: string;
  email: string;
  within: string;
}

export const twoFactorInstructions: MailTemplate<TwoFactorInstructionsContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Hello ${c.username},\n\nYour ${c.appName} sign-in code is: ${c.token}\n\nThis code will expire in ${c.within}.\n\nIf you did not try to sign in, change your password.\n`,
  html: (c) =>
    html`<p>Hello ${c.username},</p>
<p>Your ${c.appName} sign-in code is: <strong>${c.token}</strong></p>
<p>This code will expire in ${c.within}.</p>
<p>If you did not try to sign in, change your password.</p>`.toString(),
};

/** two_factor_rescue (FS template name): sent to TWO_FACTOR_RESCUE_MAIL when a user cannot use their second factor. */
export interface TwoFactorRescueContext extends Record<string, unknown> {
  subject: string;
  user_email: string;
  username: string;
}

export const twoFactorRescue: MailTemplate<TwoFactorRescueContext> = {
  subject: (c) => c.subject,
  text: (c) => `The ${c.appName} user ${c.user_email} cannot use their second factor and asks for help signing in.\n`,
  html: (c) =>
    html`<p>The ${c.appName} user ${c.user_email} cannot use their second factor and asks for help signing in.</p>`.toString(),
};

/**
 * two_factor_changed (Rampart; SECURITY I72): tells the account owner that two-factor was switched off or its
 * method replaced, so a change they did not make is noticed.
 */
export interface TwoFactorChangedContext extends Record<string, unknown> {
  subject: string;
  username: string;
  /** "disabled" or "changed". */
  change: string;
  /** The new method (changed only). */
  method: string | null;
}

function changeText(c: Record<string, unknown>): string {
  return c.change === "disabled"
    ? `Two-factor authentication was disabled for your ${String(c.appName)} account.`
    : `The two-factor method of your ${String(c.appName)} account was changed to ${String(c.method)}.`;
}

export const twoFactorChanged: MailTemplate<TwoFactorChangedContext> = {
  subject: (c) => c.subject,
  text: (c) =>
    `Hello ${c.username},\n\n${changeText(c)}\n\nIf you did not do this, change your password and contact support.\n`,
  html: (c) =>
    html`<p>Hello ${c.username},</p>
<p>${changeText(c)}</p>
<p>If you did not do this, change your password and contact support.</p>`.toString(),
};
