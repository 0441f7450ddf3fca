import isEmailModule from "validator/lib/isEmail.js";

// validator is CommonJS: module.exports is the function, with itself as `.default` (which is what the types see).
const isEmail = isEmailModule.default;

/**
 * Rampart's "identity hygiene" policy for email addresses (register, change email, any identity lookup).
 *
 * Rampart accepts plain ASCII addresses only: the local part as RFC 5321 "dot-atom" (letters, digits and
 * !#$%&'*+-/=?^_`{|}~ separated by single dots, at most 64 bytes) and a DNS host name with a TLD. The goal is
 * that the address a user typed, the address stored, and the address a mailer sends to are one and the same
 * mailbox, with no room for parser disagreements. In order:
 *
 *  1. Not a string → INVALID_EMAIL_ADDRESS (null/undefined → EMAIL_NOT_PROVIDED).
 *  2. Surrounding spaces and tabs (Unicode space separators) are trimmed; nothing else is changed.
 *     Empty → EMAIL_NOT_PROVIDED; more than 254 characters → INVALID_EMAIL_ADDRESS.
 *  3. Checked on the RAW text, before any Unicode normalization (normalizing first is how Auth.js let
 *     "victim＠evil.example" through: NFKC turns the full-width ＠ into "@" after validation):
 *     - control and format characters anywhere, CR/LF included (mail header injection: "\r\nBcc: …");
 *     - whitespace inside the address;
 *     - at-sign look-alikes (U+FF20 ＠, U+FE6B ﹫: any character whose compatibility form contains "@");
 *     - quotes and backticks (quoted local parts: "e@evil.example"@victim.example);
 *     - parentheses (comments), commas and semicolons (address lists), angle brackets (display names),
 *       square brackets (IP literals), backslashes (escapes) and colons (group syntax);
 *     - more than one "@".
 *  4. Any non-ASCII character → refused. This stops look-alike letters (Cyrillic "і" in "vіctim.example").
 *     Internationalized addresses are NOT supported: no UTF-8 local parts, no Unicode domains, and no
 *     punycode "xn--" domain labels either (they are the same look-alikes, encoded).
 *  5. validator's isEmail: no display name, TLD required, no IP domains, no UTF-8 local part, 64-byte local part.
 *  6. Result: the domain lower-cased (DNS is case-insensitive); the local part is kept as typed. Uniqueness and
 *     lookups compare addresses case-insensitively elsewhere.
 */

export type EmailAddressResult =
  { ok: true; email: string } | { ok: false; code: "EMAIL_NOT_PROVIDED" | "INVALID_EMAIL_ADDRESS" };

/** Which rule refused an address (for logs and tests; callers show INVALID_EMAIL_ADDRESS). */
export type EmailAddressProblem =
  | "too-long"
  | "control-character"
  | "whitespace"
  | "lookalike-at"
  | "quote"
  | "special-character"
  | "multiple-at"
  | "non-ascii"
  | "punycode"
  | "syntax";

const MAX_LENGTH = 254;
/** Beyond this the raw input is not even trimmed. */
const MAX_RAW_LENGTH = 1024;
const SURROUNDING_SPACE = /^[\t\p{Zs}]+|[\t\p{Zs}]+$/gu;
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const WHITESPACE = /[\s\p{White_Space}]/u;
const QUOTE = /["`]/;
const SPECIAL = /[(),;<>[\]\\:]/;
const NON_ASCII = /[^\x20-\x7e]/;

function hasLookalikeAt(s: string): boolean {
  for (const ch of s) {
    if (ch.charCodeAt(0) > 0x7f && ch.normalize("NFKC").includes("@")) return true;
  }
  return false;
}

/** The first rule (3–5 above) a trimmed, non-empty address breaks, or null when it is acceptable. */
export function emailAddressProblem(address: string): EmailAddressProblem | null {
  if (address.length > MAX_LENGTH) return "too-long";
  if (CONTROL.test(address)) return "control-character";
  if (WHITESPACE.test(address)) return "whitespace";
  if (hasLookalikeAt(address)) return "lookalike-at";
  if (QUOTE.test(address)) return "quote";
  if (SPECIAL.test(address)) return "special-character";
  if (address.indexOf("@") !== address.lastIndexOf("@")) return "multiple-at";
  if (NON_ASCII.test(address)) return "non-ascii";
  const domain = address.slice(address.lastIndexOf("@") + 1);
  if (domain.split(".").some((label) => label.toLowerCase().startsWith("xn--"))) return "punycode";
  const valid = isEmail(address, {
    allow_display_name: false,
    require_display_name: false,
    allow_utf8_local_part: false,
    require_tld: true,
    allow_ip_domain: false,
    allow_underscores: false,
    domain_specific_validation: false,
    ignore_max_length: false,
  });
  return valid ? null : "syntax";
}

/** Validates and canonicalizes an email address per the policy above. */
export function normalizeEmailAddress(raw: unknown): EmailAddressResult {
  if (raw === undefined || raw === null) return { ok: false, code: "EMAIL_NOT_PROVIDED" };
  if (typeof raw !== "string") return { ok: false, code: "INVALID_EMAIL_ADDRESS" };
  if (raw.length > MAX_RAW_LENGTH) return { ok: false, code: "INVALID_EMAIL_ADDRESS" };
  const address = raw.replace(SURROUNDING_SPACE, "");
  if (address === "") return { ok: false, code: "EMAIL_NOT_PROVIDED" };
  if (emailAddressProblem(address) !== null) return { ok: false, code: "INVALID_EMAIL_ADDRESS" };
  const at = address.lastIndexOf("@");
  return { ok: true, email: `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}` };
}
