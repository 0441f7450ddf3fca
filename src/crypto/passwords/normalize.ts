import type { PasswordHashingOptions } from "./options.js";

/**
 * Unicode-normalizes a password the way Flask-Security's PasswordUtil.normalize does (unicodedata.normalize
 * with PASSWORD_NORMALIZE_FORM), so "é" typed precomposed or as "e" + U+0301 hashes the same. null: unchanged.
 */
export function normalizePassword(password: string, form: PasswordHashingOptions["normalizeForm"]): string {
  return form ? password.normalize(form) : password;
}
