import type { PasswordHashingOptions } from "./options.js";

/** passlib names of the stored formats Rampart verifies (FS PASSWORD_SCHEMES entries). */
export type SchemeName = "argon2" | "bcrypt" | "pbkdf2_sha256" | "pbkdf2_sha512" | "sha256_crypt" | "sha512_crypt";

/** A stored hash that parsed: which scheme it is, how to check a secret against it, whether it is outdated. */
export interface ParsedHash {
  readonly scheme: SchemeName;
  /** `secret` is the normalized (and, with a salt, FS-prehashed) password. Never rejects: errors are false. */
  verify(secret: string): Promise<boolean>;
  /** True when a new hash under `options` would use another scheme or other parameters. */
  outdated(options: PasswordHashingOptions): boolean;
}
