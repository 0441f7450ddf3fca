import type { FieldErrors, MessageRef } from "../core/http/respond.js";
import { parseUserField, registrable, type UserFieldSpec } from "../core/public-user.js";
import { checkUsername, normalizeEmailAddress } from "../core/policy/index.js";
import type { Runtime } from "../core/runtime.js";

/**
 * The email and username of a new account, checked the one way every sign-up does (/register, passkey-first
 * sign-up): the email normalized and its hygiene checked, the username by USERNAME_* rules (required only when
 * configured). No lookup: whether either is taken is the caller's decision, answered without telling.
 */
export type NewIdentity =
  | { ok: true; email: string; username: string | null }
  | { ok: false; errors: FieldErrors; email: string | null; username: string | null };

export function checkNewIdentity(
  rt: Pick<Runtime, "config">,
  input: { email?: string | undefined; username?: string | undefined },
): NewIdentity {
  const errors: FieldErrors = {};
  const email = normalizeEmailAddress(input.email);
  if (!email.ok) errors.email = [{ code: email.code }];

  let username: string | null = null;
  let usernameError: MessageRef | null = null;
  if (rt.config.username.enable) {
    if (input.username === undefined || input.username === "") {
      if (rt.config.username.required) usernameError = { code: "USERNAME_NOT_PROVIDED" };
    } else {
      const checked = checkUsername(rt.config.username, input.username);
      if (checked.ok) username = checked.username;
      else usernameError = checked.ref;
    }
  }
  if (usernameError) errors.username = [usernameError];
  if (!email.ok || Object.keys(errors).length)
    return { ok: false, errors, email: email.ok ? email.email : null, username };
  return { ok: true, email: email.email, username };
}

/** Names an app field may not take: the sign-up forms' own fields and object-prototype keys. */
const RESERVED = new Set([
  "email",
  "username",
  "password",
  "password_confirm",
  "next",
  "csrf_token",
  "__proto__",
  "constructor",
  "prototype",
]);

/** The app's user fields a new account is created with (`register`, which defaults to `update`). */
export function registerFields(rt: Pick<Runtime, "userFields">): [string, UserFieldSpec][] {
  return Object.entries(rt.userFields).filter(([name, spec]) => registrable(spec) && !RESERVED.has(name));
}

/**
 * The app's declared registration fields, judged the one way every sign-up does (/register, passkey-first
 * sign-up): each by its own schema (a required consent, an enum…), so no way of creating an account skips them.
 * `profile` holds the parsed values; `echo` the submitted texts to show again.
 */
export function checkRegistrationFields(
  rt: Pick<Runtime, "userFields">,
  input: Record<string, unknown>,
): { errors: FieldErrors; profile: Record<string, unknown>; echo: Record<string, string> } {
  const errors: FieldErrors = {};
  const profile: Record<string, unknown> = {};
  const echo: Record<string, string> = {};
  for (const [name, spec] of registerFields(rt)) {
    const raw = input[name];
    if (typeof raw === "string") echo[name] = raw;
    const parsed = parseUserField(spec, raw);
    if (!parsed.ok) errors[name] = [{ code: "INVALID_FIELD", text: parsed.text }];
    else if (parsed.value !== undefined) profile[name] = parsed.value;
  }
  return { errors, profile, echo };
}
