import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Seals stored messages (the outbox's mail and SMS bodies, which carry reset links and codes) with AES-256-GCM
 * under a key derived from the app's secret key by HKDF-SHA256. The row id is bound as associated data, so a
 * sealed body copied to another row does not open. Older secret keys (SECRET_KEY_FALLBACKS) still open what
 * they sealed, so a key rotation loses no queued message.
 *
 * Format: `v1.<base64url(iv 12 bytes | tag 16 bytes | ciphertext)>`.
 */
export interface PayloadBox {
  seal(plaintext: string, boundTo: string): string;
  /** The plaintext, or null when no key opens it (tampered, another row, or an unknown key). */
  open(sealed: string, boundTo: string): string | null;
}

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), "rampart-payload-box", purpose, 32));
}

export function createPayloadBox(secret: string, fallbacks: readonly string[], purpose: string): PayloadBox {
  if (!secret) throw new TypeError("createPayloadBox: a secret is required");
  const current = deriveKey(secret, purpose);
  const keys = [current, ...fallbacks.filter((f) => f.length > 0).map((f) => deriveKey(f, purpose))];
  return {
    seal(plaintext, boundTo) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", current, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(boundTo, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
    },
    open(sealed, boundTo) {
      const [version, data] = sealed.split(".");
      if (version !== VERSION || !data) return null;
      const raw = Buffer.from(data, "base64url");
      if (raw.length < IV_BYTES + TAG_BYTES) return null;
      const iv = raw.subarray(0, IV_BYTES);
      const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
      const body = raw.subarray(IV_BYTES + TAG_BYTES);
      for (const key of keys) {
        try {
          const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
          decipher.setAAD(Buffer.from(boundTo, "utf8"));
          decipher.setAuthTag(tag);
          return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
        } catch {
          // Not this key (or tampered): try the next.
        }
      }
      return null;
    },
  };
}
