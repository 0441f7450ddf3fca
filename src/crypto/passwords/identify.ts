import { parseArgon2 } from "./argon2.js";
import { parseBcrypt } from "./bcrypt.js";
import type { ParsedHash } from "./parsed-hash.js";
import { parsePbkdf2 } from "./pbkdf2.js";
import { parseShaCrypt } from "./sha-crypt.js";

const PARSERS: ReadonlyArray<(stored: string) => ParsedHash | null> = [
  parseArgon2,
  parseBcrypt,
  parsePbkdf2,
  parseShaCrypt,
];

/**
 * The scheme of a stored password hash, or null when it is none Rampart verifies or is malformed.
 * Unlike passlib's "plaintext" fallback, an unrecognised string never counts as a password.
 */
export function identifyStoredHash(stored: string | null | undefined): ParsedHash | null {
  if (typeof stored !== "string" || stored.length === 0 || stored.length > 1024) return null;
  for (const parse of PARSERS) {
    const parsed = parse(stored);
    if (parsed) return parsed;
  }
  return null;
}
