import { pbkdf2, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { ab64Decode } from "./ab64.js";
import type { ParsedHash } from "./parsed-hash.js";

const pbkdf2Async = promisify(pbkdf2);
/** passlib: $pbkdf2-<digest>$<rounds>$<ab64 salt>$<ab64 checksum>; rounds not zero-padded. */
const FORMAT = /^\$pbkdf2-(sha256|sha512)\$([1-9]\d{0,9})\$([A-Za-z0-9./+]*)\$([A-Za-z0-9./+]+)$/;
/** Sanity bound for stored hashes (passlib's defaults are 29000 and 25000). */
const MAX_ROUNDS = 10_000_000;

/** passlib pbkdf2_sha256 / pbkdf2_sha512 (legacy: verify only, always outdated). */
export function parsePbkdf2(stored: string): ParsedHash | null {
  const m = FORMAT.exec(stored);
  if (!m) return null;
  const digest = m[1] === "sha512" ? "sha512" : "sha256";
  const size = digest === "sha512" ? 64 : 32;
  const rounds = Number(m[2]);
  const salt = ab64Decode(m[3] ?? "");
  const checksum = ab64Decode(m[4] ?? "");
  if (!salt || !checksum || checksum.length !== size || rounds > MAX_ROUNDS) return null;
  return {
    scheme: digest === "sha512" ? "pbkdf2_sha512" : "pbkdf2_sha256",
    async verify(secret) {
      try {
        const derived = await pbkdf2Async(Buffer.from(secret, "utf8"), salt, rounds, size, digest);
        return timingSafeEqual(derived, checksum);
      } catch {
        return false;
      }
    },
    outdated: () => true,
  };
}
