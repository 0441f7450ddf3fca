/**
 * Canonical form of an identity (email or username) used for case-insensitive lookup and uniqueness.
 *
 * Flask-Security normalizes identities with Unicode NFKD (`USERNAME_NORMALIZE_FORM`, and email_validator's
 * normalization) and compares them case-insensitively with `lower(col) = lower(?)`, which cannot use an index.
 * Rampart stores `value.normalize("NFKD").toLowerCase()` in indexed UNIQUE `*_canonical` columns instead, so
 * every lookup is an index probe and two identities differing only by case (or by compatibility
 * decomposition, e.g. "ﬁ" vs "fi") cannot both exist. The stored `email` / `username` keep the user's spelling.
 */
export function canonicalIdentity(value: string): string {
  return value.normalize("NFKD").toLowerCase();
}
