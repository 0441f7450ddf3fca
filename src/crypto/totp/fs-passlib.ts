import { createDecipheriv, pbkdf2Sync } from "node:crypto";
import { createRequire } from "node:module";
import type * as Otpauth from "otpauth";

// otpauth loads on first use: reading the TOTP config (key ring checks) must not pull it into every import.
const require = createRequire(import.meta.url);
let otpauth: typeof Otpauth | undefined;
const Secret = (): typeof Otpauth.Secret => (otpauth ??= require("otpauth") as typeof Otpauth).Secret;

/**
 * Reads the TOTP secrets an existing Flask-Security database holds, so migrated users keep their
 * authenticator. FS stores `TOTP.new().to_json(encrypt=True)` (passlib 1.7), e.g.
 *   {"enckey":{"c":14,"k":"<b32>","s":"<b32>","t":"1","v":1},"type":"totp","v":1}
 * where passlib's AppWallet derived 48 bytes with PBKDF2-HMAC-SHA256(TOTP_SECRETS[t], salt s, 2^c rounds),
 * and AES-256-CTR (key = bytes 0–31, initial counter block = bytes 32–47) encrypted the raw key bytes into k.
 *
 * CTR has no integrity and the plaintext is random bytes, so a wrong TOTP_SECRETS value under the right tag
 * decrypts to another key (passlib cannot tell either); that key then matches no code. Everything that can be
 * checked is: structure, versions, known tag, bounded cost, canonical base32, and the salt and key lengths FS writes.
 */

/** passlib's default cost is 14 (FS never changes it); a higher stored cost would stall the event loop. */
const MAX_COST = 16;
/** FS's `TOTP.new()` with SHA1 makes 20-byte keys (the digest size); AppWallet's salts are 12 bytes. */
const KEY_BYTES = 20;
const SALT_BYTES = 12;
/** Fields passlib's TOTP.to_dict writes (plus the legacy last_counter it drops); anything else is not FS data. */
const TOP_FIELDS = new Set([
  "v",
  "type",
  "enckey",
  "key",
  "alg",
  "digits",
  "period",
  "label",
  "issuer",
  "last_counter",
]);
const ENCKEY_FIELDS = ["c", "k", "s", "t", "v"];

/** True when the stored value is JSON (FS/passlib) rather than Rampart's `rt1:` envelope. */
export function isPasslibJson(value: string): boolean {
  return value.startsWith("{");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `length` bytes as unpadded RFC 4648 base32 (passlib writes upper case, reads either); null unless canonical. */
function base32Bytes(text: unknown, length: number): Buffer | null {
  if (typeof text !== "string" || !/^[A-Za-z2-7]+$/.test(text) || text.length !== Math.ceil((length * 8) / 5))
    return null;
  try {
    const bytes = Buffer.from(Secret().fromBase32(text.toUpperCase()).bytes);
    if (bytes.length !== length) return null;
    // Rejects lengths no byte string encodes to and non-zero trailing bits.
    if (base32Of(bytes) !== text.toUpperCase()) return null;
    return bytes;
  } catch {
    return null;
  }
}

function base32Of(bytes: Buffer): string {
  return new (Secret())({ buffer: Uint8Array.from(bytes).buffer }).base32;
}

/**
 * The base32 key of an FS-stored value, or null when it is malformed, under an unknown tag, not encrypted,
 * or uses TOTP parameters other than Rampart's SHA1 / 6 digits / 30 s (FS always uses those). `secrets` maps
 * each TOTP_SECRETS key id to its secret's UTF-8 bytes (passlib encodes str secrets as UTF-8).
 */
export function openPasslib(value: string, secrets: ReadonlyMap<string, Buffer>): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    return null;
  }
  if (!isRecord(doc) || doc.type !== "totp" || doc.v !== 1) return null;
  if (!Object.keys(doc).every((field) => TOP_FIELDS.has(field))) return null;
  // A plaintext `key` was never written by a released FS; accepting it would let a database write choose a user's key.
  if ("key" in doc) return null;
  if (doc.alg !== undefined && doc.alg !== "sha1") return null;
  if (doc.digits !== undefined && doc.digits !== 6) return null;
  if (doc.period !== undefined && doc.period !== 30) return null;

  const enc = doc.enckey;
  if (!isRecord(enc) || Object.keys(enc).sort().join() !== ENCKEY_FIELDS.join() || enc.v !== 1) return null;
  const { c: cost, t: tag } = enc;
  if (typeof cost !== "number" || !Number.isInteger(cost) || cost < 0 || cost > MAX_COST) return null;
  if (typeof tag !== "string") return null;
  const secret = secrets.get(tag);
  if (!secret) return null;
  const salt = base32Bytes(enc.s, SALT_BYTES);
  const ciphertext = base32Bytes(enc.k, KEY_BYTES);
  if (!salt || !ciphertext) return null;

  const keyIv = pbkdf2Sync(secret, salt, 2 ** cost, 48, "sha256");
  const decipher = createDecipheriv("aes-256-ctr", keyIv.subarray(0, 32), keyIv.subarray(32, 48));
  const key = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  return base32Of(key);
}
