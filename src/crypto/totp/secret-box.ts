import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { isPasslibJson, openPasslib } from "./fs-passlib.js";

/**
 * Encryption of TOTP secrets at rest (FS TOTP_SECRETS: key id → secret). The highest key id seals (ids
 * compared as numbers when all are numeric, else as strings, as passlib's AppWallet picks its default tag);
 * every configured key opens, so keys rotate by adding a higher id and resealing on use.
 *
 * Sealed form: `rt1:<keyId>:<iv>:<ciphertext>:<tag>` (base64url parts), AES-256-GCM with a 12-byte random
 * IV, the key derived from the configured secret by HKDF-SHA256, and `rt1:<keyId>` as additional data.
 *
 * `open` also reads what Flask-Security stored (passlib's encrypted TOTP JSON, see fs-passlib.ts) with the same
 * TOTP_SECRETS; such values always need resealing into `rt1`, which adds the integrity passlib's format lacks.
 */

export interface SecretBox {
  /** The key id new values are sealed with. */
  readonly currentKeyId: string;
  seal(plain: string): string;
  /**
   * The plaintext (for an FS value: its base32 key), or null when the value is malformed, tampered with or
   * sealed under an unknown key. An FS value opened with a wrong secret cannot be detected (see fs-passlib.ts).
   */
  open(sealed: string): string | null;
  /** True when `sealed` was not sealed as `rt1` with the current key (older key, FS format, or unreadable). */
  needsReseal(sealed: string): boolean;
}

const VERSION = "rt1";
const MIN_SECRET_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;
const HKDF_SALT = Buffer.from("rampart/totp-secret-box", "utf8");

function deriveKey(keyId: string, secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), HKDF_SALT, `${VERSION}:${keyId}`, 32));
}

/** passlib's rule: all-numeric ids compare by value, otherwise by string order. */
function highestKeyId(ids: string[]): string {
  if (ids.every((id) => /^[0-9]+$/.test(id))) {
    return ids.reduce((a, b) => (BigInt(b) > BigInt(a) ? b : a));
  }
  return ids.reduce((a, b) => (b > a ? b : a));
}

function decode(part: string, expectedLength?: number): Buffer | null {
  if (!B64URL.test(part)) return null;
  const bytes = Buffer.from(part, "base64url");
  if (bytes.toString("base64url") !== part) return null;
  if (expectedLength !== undefined && bytes.length !== expectedLength) return null;
  return bytes;
}

interface Envelope {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parse(sealed: unknown): Envelope | null {
  if (typeof sealed !== "string" || sealed.length > 16_384) return null;
  const parts = sealed.split(":");
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const [, keyId, ivText, ctText, tagText] = parts as [string, string, string, string, string];
  if (!KEY_ID.test(keyId)) return null;
  const iv = decode(ivText, IV_BYTES);
  const ciphertext = decode(ctText);
  const tag = decode(tagText, TAG_BYTES);
  if (!iv || !ciphertext || !tag) return null;
  return { keyId, iv, ciphertext, tag };
}

/**
 * Builds the box from FS's TOTP_SECRETS. Throws TypeError (naming the key id, never the secret) when no key
 * is given, an id is not [A-Za-z0-9_.-], or a secret is shorter than 32 bytes.
 */
export function createSecretBox(keys: Record<string, string>): SecretBox {
  const ids = Object.keys(keys);
  if (ids.length === 0) throw new TypeError("TOTP_SECRETS must hold at least one key (key id → secret)");
  const derived = new Map<string, Buffer>();
  const raw = new Map<string, Buffer>();
  for (const id of ids) {
    if (!KEY_ID.test(id))
      throw new TypeError(`TOTP_SECRETS key id "${id.slice(0, 64)}" must be 1–64 characters of A-Z a-z 0-9 _ . -`);
    const secret = keys[id];
    if (typeof secret !== "string" || Buffer.byteLength(secret, "utf8") < MIN_SECRET_BYTES) {
      throw new TypeError(
        `TOTP_SECRETS key "${id}" must be at least ${MIN_SECRET_BYTES} bytes (generate one with: rampart secrets generate)`,
      );
    }
    derived.set(id, deriveKey(id, secret));
    raw.set(id, Buffer.from(secret, "utf8"));
  }
  const currentKeyId = highestKeyId(ids);
  const currentKey = derived.get(currentKeyId)!;

  return {
    currentKeyId,
    seal(plain: string): string {
      if (typeof plain !== "string") throw new TypeError("seal expects a string");
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", currentKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(`${VERSION}:${currentKeyId}`, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        VERSION,
        currentKeyId,
        iv.toString("base64url"),
        ciphertext.toString("base64url"),
        tag.toString("base64url"),
      ].join(":");
    },
    open(sealed: string): string | null {
      if (typeof sealed === "string" && sealed.length <= 16_384 && isPasslibJson(sealed))
        return openPasslib(sealed, raw);
      const envelope = parse(sealed);
      if (!envelope) return null;
      const key = derived.get(envelope.keyId);
      if (!key) return null;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, envelope.iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(`${VERSION}:${envelope.keyId}`, "utf8"));
        decipher.setAuthTag(envelope.tag);
        const plain = Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
        return new TextDecoder("utf-8", { fatal: true }).decode(plain);
      } catch {
        return null;
      }
    },
    needsReseal(sealed: string): boolean {
      const envelope = parse(sealed);
      return envelope === null || envelope.keyId !== currentKeyId;
    },
  };
}
