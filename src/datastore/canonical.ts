import { createHash } from "node:crypto";
import { createRequire } from "node:module";

// The confusables table loads when a username is first fingerprinted, not with every module that reads identities.
const require = createRequire(import.meta.url);
let unhomoglyph: ((text: string) => string) | undefined;

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

/**
 * Fingerprint of a username's look, for the unique `username_skeleton` index: two usernames with the same
 * skeleton (Unicode TR39 confusables: Cyrillic "а" = Latin "a", "ı" = "i", "ɑ" = "a", "1" = "l", "rn" = "m")
 * cannot both exist, whatever their code points. The name is case-folded first (uniqueness ignores case),
 * then NFD, mapped through the confusables table (unhomoglyph: Unicode confusables.txt), NFD again, and
 * hashed so the column has a fixed width (a mapped name can be longer than the name).
 */
export function usernameSkeleton(username: string): string {
  unhomoglyph ??= require("unhomoglyph") as (text: string) => string;
  const skeleton = unhomoglyph(username.normalize("NFKD").toLowerCase().normalize("NFD")).normalize("NFD");
  return createHash("sha256").update(skeleton).digest("base64url");
}
