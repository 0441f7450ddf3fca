import { normalizePassword } from "../../crypto/passwords/normalize.js";
import type { MessageRef } from "../http/respond.js";
import type { Runtime } from "../runtime.js";
import { checkBreachedPassword } from "./breached.js";
import { passwordScore } from "./zxcvbn.js";

/**
 * Policy for a NEW password (register, change, reset), in Flask-Security's order (PasswordUtil.validate):
 * normalize (password.normalizeForm) → length → breached → complexity. The first failing step ends the check,
 * so the result holds at most one message; an empty array means the password is acceptable.
 *
 * - The password is checked exactly as typed: never trimmed or case-folded.
 * - No composition rules: spaces, any Unicode and emoji are fine.
 * - Length counts Unicode code points of the normalized value (15 emoji are 15 characters, "é" precomposed or
 *   as "e" + U+0301 counts the same under NFKD/NFD).
 * - An over-long input is refused before normalization, hashing or any network call.
 */

export interface PasswordContext {
  email?: string | null;
  username?: string | null;
}

/**
 * Unicode normalization never shrinks text by more than a few code points to one (canonical composition:
 * e.g. U+03B1 U+0314 U+0301 U+0345 → U+1F85), so input longer than lengthMax × this many UTF-16 units cannot
 * normalize to an acceptable length and is refused without looking further.
 */
const MAX_NORMALIZATION_SHRINK = 8;

export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The length step on an already-normalized password: null when lengthMin ≤ code points ≤ lengthMax. */
export function checkPasswordLength(normalized: string, lengthMin: number, lengthMax: number): MessageRef | null {
  const length = codePointLength(normalized);
  if (length < lengthMin) return { code: "PASSWORD_INVALID_LENGTH", params: { length: lengthMin } };
  if (length > lengthMax) return { code: "PASSWORD_TOO_LONG", params: { length: lengthMax } };
  return null;
}

/**
 * Words the user's password should not lean on, fed to zxcvbn as user inputs: the email, its local part and
 * the local part's pieces ("alice.smith" → "alice", "smith"), and the username; normalized like the password.
 */
export function contextWords(context: PasswordContext, form: Runtime["config"]["password"]["normalizeForm"]): string[] {
  const words: string[] = [];
  const email = typeof context.email === "string" ? context.email.trim() : "";
  if (email) {
    words.push(email);
    const at = email.lastIndexOf("@");
    const local = at > 0 ? email.slice(0, at) : "";
    if (local) words.push(local, ...local.split(/[._+-]+/).filter((w) => w.length >= 3));
  }
  const username = typeof context.username === "string" ? context.username.trim() : "";
  if (username) words.push(username);
  return [...new Set(words.map((w) => normalizePassword(w, form)))];
}

/** Checks a new password against config.password; [] = acceptable. */
export async function checkNewPassword(
  rt: Pick<Runtime, "config" | "logger">,
  password: string,
  context: PasswordContext = {},
): Promise<MessageRef[]> {
  const p = rt.config.password;
  if (typeof password !== "string" || password.length === 0) return [{ code: "PASSWORD_NOT_PROVIDED" }];
  if (password.length > p.lengthMax * MAX_NORMALIZATION_SHRINK) {
    return [{ code: "PASSWORD_TOO_LONG", params: { length: p.lengthMax } }];
  }
  const normalized = normalizePassword(password, p.normalizeForm);

  const length = checkPasswordLength(normalized, p.lengthMin, p.lengthMax);
  if (length) return [length];

  if (p.checkBreached) {
    const breached = await checkBreachedPassword(rt, normalized);
    if (breached) return [breached];
  }

  if (p.complexityChecker === "zxcvbn") {
    const score = passwordScore(normalized, contextWords(context, p.normalizeForm));
    if (score < p.zxcvbnMinimumScore) return [{ code: "PASSWORD_TOO_SIMPLE" }];
  }
  return [];
}
