import { recordAudit } from "../../core/audit.js";
import { sliceOf } from "../../core/config/slice.js";
import type { SignedInPayload } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import type { Ok } from "../../core/outcome.js";
import { externalUrl } from "../../kit/http/links.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { registrationSlice } from "./config.js";
import type { NewAccountForm, RegistrationForm } from "./form.js";
import { answerRegistered } from "./answer.js";

/**
 * Generic responses: a registration naming a taken email (or username) answers exactly like a fresh one
 * (same status, same JSON keys, the submitted email echoed as a new account would show it), costs the same
 * password hash, signs nobody in, and tells the right person by mail:
 * - taken email → "welcome_existing" to the account's owner, with a reset link (recovery on) and a
 *   confirmation link (confirmation on and the owner still unconfirmed);
 * - taken username, new email → "welcome_existing_username" to the submitted address (as FS does: the owner of
 *   that mailbox asked for the name, so only they learn it is taken).
 */
export async function answerTaken(
  ctx: RequestContext,
  form: RegistrationForm,
  found: TakenBy & { hashed: boolean },
): Promise<Ok<SignedInPayload, never>> {
  // The same work a fresh registration does, so the answer's timing tells nothing.
  if (!found.hashed) await ctx.rt.hasher.hash(form.password);
  return answerRegistered(ctx, form, await tellTaken(ctx, form, found));
}

/** Who holds what a new account asked for: the email's owner, the username's (or a look-alike's). */
export interface TakenBy {
  emailOwner: UserRecord | null;
  usernameOwner: UserRecord | null;
  /** The username is taken by a look-alike that findByUsername does not find. */
  usernameTaken?: boolean;
}

/**
 * A new account that was not created because its email or username is taken: the audit row, the
 * user_not_registered event and the mail to the right person (after the answer) — everything but the answer,
 * which every way of creating an account gives as for a fresh one: returns what that fresh account would look
 * like (never stored).
 */
export async function tellTaken(
  ctx: RequestContext,
  form: NewAccountForm & { profile?: Record<string, unknown> },
  found: TakenBy,
): Promise<UserRecord> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, registrationSlice);
  const { emailOwner, usernameOwner } = found;
  const reason = emailOwner ? "email_taken" : "username_taken";
  await recordAudit(ctx, {
    event: "register",
    outcome: "failure",
    user: emailOwner ?? usernameOwner,
    identity: form.email,
    details: { reason },
  });
  await rt.events.emit("user_not_registered", {
    user: emailOwner ?? usernameOwner,
    existingEmail: emailOwner !== null,
    existingUsername: emailOwner === null && (usernameOwner !== null || found.usernameTaken === true),
    formData: form.formData,
  });

  // The mail (links, rendering, SMTP) runs after the answer (core/deferred.ts), as a fresh registration's does.
  await nowOrAfterAnswer(ctx, true, "welcome_existing", emailOwner ?? usernameOwner, async () => {
    if (emailOwner) {
      const reset = rt.services.recovery?.link(ctx, emailOwner) ?? null;
      const confirmation = rt.services.confirmation;
      // Whoever registers an address again may be its owner finding someone else's registration (pre-account
      // hijacking): confirming would keep that registrant's password, a reset removes it. So a never-confirmed
      // account is offered the reset link, and a confirmation link only when there is no reset to offer.
      const confirm = confirmation && !emailOwner.confirmedAt && !reset ? confirmation.link(ctx, emailOwner) : null;
      await deliverMail(
        ctx,
        "welcome_existing",
        emailOwner.email,
        {
          user: emailOwner,
          email: emailOwner.email,
          login_link: externalUrl(ctx, rt.config.urls.login),
          reset_link: reset?.url ?? null,
          reset_token: reset?.token ?? null,
          reset_within: rt.services.recovery?.within ?? null,
          confirmation_link: confirm?.url ?? null,
          confirmation_token: confirm?.token ?? null,
          within: confirm ? confirmation!.within : null,
          subject: cfg.emailSubject,
        },
        emailOwner,
      );
    } else if (usernameOwner || found.usernameTaken) {
      await deliverMail(ctx, "welcome_existing_username", form.email, {
        email: form.email,
        username: form.username,
        subject: cfg.emailSubject,
      });
    }
  });
  return lookalike(ctx, form);
}

/** What a freshly created account for this form would look like (never stored). */
function lookalike(ctx: RequestContext, form: NewAccountForm & { profile?: Record<string, unknown> }): UserRecord {
  const now = ctx.now();
  return {
    id: 0,
    email: form.email,
    username: form.username,
    password: null,
    active: true,
    fsUniquifier: "",
    fsTokenUniquifier: null,
    fsWebauthnUserHandle: null,
    confirmedAt: null,
    lastLoginAt: null,
    currentLoginAt: null,
    lastLoginIp: null,
    currentLoginIp: null,
    loginCount: null,
    tfPrimaryMethod: null,
    tfTotpSecret: null,
    tfPhoneNumber: null,
    usTotpSecrets: null,
    usPhoneNumber: null,
    mfRecoveryCodes: null,
    profile: form.profile && Object.keys(form.profile).length ? { ...form.profile } : null,
    createDatetime: now,
    updateDatetime: now,
  };
}
