import type { FieldErrors, MessageRef } from "../core/http/respond.js";
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
