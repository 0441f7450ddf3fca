import { z } from "zod";
import type { RequestContext } from "../../core/context.js";
import type { Runtime } from "../../core/runtime.js";
import { sliceOf } from "../../core/config/slice.js";
import { safeNext } from "../../kit/http/redirects.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { text } from "../../core/input.js";
import { checkNewPassword } from "../../core/policy/index.js";
import { checkNewIdentity, checkRegistrationFields, registerFields } from "../../kit/new-identity.js";

export { registerFields };
import { registrationSlice } from "./config.js";

/**
 * Reads and checks a registration form. Only these reach the new user: the normalized email, the username, the
 * password (hashed by the caller) and the app's declared user fields (each validated by its own schema, stored
 * in `profile`). Anything else in the body — roles, active, confirmed_at, uniquifiers, hashes, ids — is ignored.
 */
export interface RegistrationForm {
  email: string;
  username: string | null;
  /** Empty only when passwords are optional (PASSWORD_REQUIRED=false). */
  password: string;
  /** Declared user fields, validated. */
  profile: Record<string, unknown>;
  /** Safe `next` (form field or query), or null. */
  next: string | null;
  /** What the user_registered event receives: accepted fields only, never the password. */
  formData: Record<string, unknown>;
}

/** What every way of creating an account (/register, passkey-first sign-up) knows of it besides the account. */
export type NewAccountForm = Pick<RegistrationForm, "email" | "username" | "formData">;

/** What a re-rendered form shows again (never a password). */
export interface FormEcho {
  email: string;
  username: string;
  fields: Record<string, string>;
  next: string | null;
}

const registrationShape = z.object({
  email: text(),
  username: text(),
  password: text(),
  password_confirm: text(),
  next: text(),
});
export type RegistrationInput = z.output<typeof registrationShape> & Record<string, unknown>;

/**
 * The form's fields and the app's declared user fields: those are read as submitted (any JSON value) and judged
 * by their own schemas below, so a bad value gets the field's message rather than a bare API_ERROR.
 */
export function registrationInput(rt: Pick<Runtime, "userFields">): typeof registrationShape {
  const appFields = Object.fromEntries(registerFields(rt).map(([name]) => [name, z.unknown().optional()]));
  return registrationShape.extend(appFields) as unknown as typeof registrationShape;
}

export async function checkRegistrationForm(
  ctx: RequestContext,
  input: RegistrationInput,
): Promise<{ ok: true; form: RegistrationForm; echo: FormEcho } | { ok: false; errors: FieldErrors; echo: FormEcho }> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, registrationSlice);
  const rawNext = input.next ?? ctx.url.searchParams.get("next");
  const next = safeNext(ctx, rawNext);
  const echo: FormEcho = { email: input.email ?? "", username: input.username ?? "", fields: {}, next };
  const errors: FieldErrors = {};

  const identity = checkNewIdentity(rt, input);
  const email = identity.email !== null ? { ok: true as const, email: identity.email } : { ok: false as const };
  if (!identity.ok && identity.errors.email) errors.email = identity.errors.email;
  const username = identity.username;
  const usernameError = identity.ok ? null : (identity.errors.username?.[0] ?? null);

  const password = input.password ?? "";
  // PASSWORD_REQUIRED=false (unified sign-in): no password at all is fine; one that is given must still pass.
  const passwordOptional = rt.services.unifiedSignin?.passwordOptional === true;
  if (password || !passwordOptional) {
    const policy = await checkNewPassword(rt, password, {
      email: email.ok ? email.email : (input.email ?? null),
      username: username ?? input.username ?? null,
    });
    if (policy.length) errors.password = policy;
  }
  const confirm = input.password_confirm;
  if (password && cfg.passwordConfirmRequired && !confirm)
    errors.password_confirm = [{ code: "PASSWORD_NOT_PROVIDED" }];
  else if (password && confirm !== undefined && confirm !== password)
    errors.password_confirm = [{ code: "RETYPE_PASSWORD_MISMATCH" }];
  if (usernameError) errors.username = [usernameError];

  const fields = checkRegistrationFields(rt, input);
  Object.assign(errors, fields.errors);
  Object.assign(echo.fields, fields.echo);
  const profile = fields.profile;
  if (rawNext && !next) errors.next = [{ code: "INVALID_REDIRECT" }];

  if (Object.keys(errors).length || !email.ok) return { ok: false, errors, echo };
  const formData: Record<string, unknown> = { email: email.email, ...profile };
  if (rt.config.username.enable) formData.username = username;
  if (next) formData.next = next;
  return { ok: true, form: { email: email.email, username, password, profile, next, formData }, echo };
}
