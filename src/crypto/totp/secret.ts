import { Secret, TOTP } from "otpauth";
import { createRequire } from "node:module";
import type QRCode from "qrcode";

/**
 * TOTP enrolment: the shared secret (CSPRNG, 160 bits, base32 as authenticator apps expect), the
 * `otpauth://` URI they scan, and that URI as a QR code image.
 */

/** Bytes of a new secret: 160 bits, RFC 4226's recommendation (ASVS 6.5.3 / NIST 3.1.4.1 ask ≥ 112). */
export const TOTP_SECRET_BYTES = 20;
/** The smallest secret accepted anywhere (RFC 4226 R6: at least 128 bits). */
const MIN_SECRET_BYTES = 16;

/** The parameters authenticator apps (and `oathtool --totp`) assume: SHA1, 6 digits, 30-second steps. */
export const TOTP_ALGORITHM = "SHA1";
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD = 30;

/** A new random secret: 20 bytes from the CSPRNG (otpauth's Secret uses crypto.randomBytes), 32 base32 chars. */
export function generateTotpSecret(): string {
  return new Secret({ size: TOTP_SECRET_BYTES }).base32;
}

/**
 * Decodes a base32 secret (case-insensitive, spaces and `=` padding allowed). Throws TypeError when it is
 * not base32 or carries fewer than 128 bits: stored secrets are Rampart's own, so that is a bug or corrupt
 * data, never user input. The message never contains the secret.
 */
export function secretFromBase32(secret: string): Secret {
  const compact = secret.replace(/ /g, "").toUpperCase().replace(/=+$/, "");
  if (!/^[A-Z2-7]+$/.test(compact)) throw new TypeError("TOTP secret is not base32");
  const decoded = Secret.fromBase32(compact);
  if (decoded.bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(
      `TOTP secret is too short (${decoded.bytes.length * 8} bits; at least ${MIN_SECRET_BYTES * 8} required)`,
    );
  }
  return decoded;
}

export interface TotpUriOptions {
  /** Base32 secret (from generateTotpSecret). */
  secret: string;
  /** Shown by the authenticator app as the provider (FS TOTP_ISSUER). */
  issuer: string;
  /** The user's account name (email or username). */
  account: string;
}

/**
 * `otpauth://totp/<issuer>:<account>?issuer=…&secret=…&algorithm=SHA1&digits=6&period=30` (Google
 * Authenticator's key URI format; issuer and account percent-encoded by otpauth).
 */
export function totpUri({ secret, issuer, account }: TotpUriOptions): string {
  if (issuer.length === 0) throw new TypeError("totpUri: issuer must not be empty");
  if (account.length === 0) throw new TypeError("totpUri: account must not be empty");
  const totp = new TOTP({
    issuer,
    label: account,
    issuerInLabel: true,
    secret: secretFromBase32(secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
  });
  return totp.toString();
}

/** The URI as a PNG QR code, as a `data:image/png;base64,…` URL for an <img src>. */
export async function qrCodeDataUrl(uri: string): Promise<string> {
  // qrcode loads when a QR code is first drawn (two-factor / unified sign-in setup), not on import.
  return (createRequire(import.meta.url)("qrcode") as typeof QRCode).toDataURL(uri, {
    type: "image/png",
    errorCorrectionLevel: "M",
    margin: 2,
    scale: 6,
  });
}
