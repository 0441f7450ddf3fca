import type { ParsedHash } from "./parsed-hash.js";
import { shaCryptVerify } from "./sha-crypt-worker.js";

/**
 * sha256_crypt ($5$) and sha512_crypt ($6$) modular-crypt strings, as glibc and passlib write them:
 * $5$[rounds=N$]salt$checksum, salt up to 16 hash64 characters, rounds 1000.. (implicit 5000).
 */
const FORMAT = /^\$([56])\$(?:rounds=([1-9]\d{0,9})\$)?([./0-9A-Za-z]{0,16})\$([./0-9A-Za-z]+)$/;
const CHECKSUM_LENGTH: Record<string, number> = { "5": 43, "6": 86 };
/** Sanity bound for stored hashes (passlib's default is 656000 for sha512_crypt, glibc's 5000). */
const MAX_ROUNDS = 10_000_000;

/** Legacy sha256_crypt / sha512_crypt: verify only (via the unixcrypt package), always outdated. */
export function parseShaCrypt(stored: string): ParsedHash | null {
  const m = FORMAT.exec(stored);
  if (!m) return null;
  const id = m[1] ?? "";
  const rounds = m[2] === undefined ? 5000 : Number(m[2]);
  if (m[4]?.length !== CHECKSUM_LENGTH[id] || rounds < 1000 || rounds > MAX_ROUNDS) return null;
  return {
    scheme: id === "6" ? "sha512_crypt" : "sha256_crypt",
    verify: (secret) => shaCryptVerify(secret, stored),
    outdated: () => true,
  };
}
