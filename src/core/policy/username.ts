import type { MessageRef } from "../http/respond.js";
import { isMixedScript } from "./scripts.js";

/**
 * Username rules, after Flask-Security's UsernameUtil.validate (USERNAME_ENABLE), in its order:
 *
 *  1. Not a string, or empty → USERNAME_NOT_PROVIDED.
 *  2. HTML-special characters (< > & " ') or surrounding whitespace → USERNAME_ILLEGAL_CHARACTERS. FS compares
 *     bleach.clean(username.strip()) with the raw value; any of these makes them differ.
 *  3. NFKD-normalized (FS USERNAME_NORMALIZE_FORM), then only Unicode letters and numbers are allowed, plus the
 *     combining marks NFKD splits off them ("É" → "E" + U+0301): each letter or number may carry at most
 *     MAX_MARKS marks, and a mark cannot start the name (no "Zalgo" stacks) → else USERNAME_DISALLOWED_CHARACTERS.
 *  4. Rampart's addition against look-alike names (Unicode TR39): letters of one script only, or Latin with
 *     the scripts of Japanese, Chinese or Korean names (see scripts.ts) → else USERNAME_MIXED_SCRIPT. (Names
 *     that look like an existing one, "alıce" beside "alice", are refused at storage: see usernameSkeleton.)
 *  5. Length of the normalized value in code points between minLength and maxLength → else
 *     USERNAME_INVALID_LENGTH {min, max}.
 *
 * Returns the normalized username with its case kept; uniqueness is case-insensitive elsewhere.
 */

export type UsernameResult = { ok: true; username: string } | { ok: false; ref: MessageRef };

const HTML_SPECIAL = /[<>&"']/;
const MAX_MARKS = 4;
const LETTERS_AND_NUMBERS = new RegExp(`^(?:[\\p{L}\\p{N}]\\p{M}{0,${MAX_MARKS}})+$`, "u");
/** Longer raw input is refused without normalizing it (normalization can only multiply the length). */
const RAW_LIMIT_FACTOR = 8;

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function checkUsername(config: { minLength: number; maxLength: number }, raw: unknown): UsernameResult {
  if (typeof raw !== "string" || raw === "") return { ok: false, ref: { code: "USERNAME_NOT_PROVIDED" } };
  if (HTML_SPECIAL.test(raw) || raw.trim() !== raw) {
    return { ok: false, ref: { code: "USERNAME_ILLEGAL_CHARACTERS" } };
  }
  const lengthError: MessageRef = {
    code: "USERNAME_INVALID_LENGTH",
    params: { min: config.minLength, max: config.maxLength },
  };
  if (raw.length > config.maxLength * RAW_LIMIT_FACTOR) return { ok: false, ref: lengthError };
  const username = raw.normalize("NFKD");
  if (!LETTERS_AND_NUMBERS.test(username)) {
    return { ok: false, ref: { code: "USERNAME_DISALLOWED_CHARACTERS" } };
  }
  if (isMixedScript(username)) return { ok: false, ref: { code: "USERNAME_MIXED_SCRIPT" } };
  const length = codePointLength(username);
  if (length < config.minLength || length > config.maxLength) return { ok: false, ref: lengthError };
  return { ok: true, username };
}
