/**
 * passlib's "adapted base64" (passlib.utils.binary.ab64_encode/ab64_decode), used by its pbkdf2_* hashes:
 * standard base64 with "." instead of "+" and no "=" padding. Decoding also accepts "+", as passlib does.
 */
const AB64 = /^[A-Za-z0-9./+]*$/;

export function ab64Encode(data: Uint8Array): string {
  return Buffer.from(data).toString("base64").replace(/=+$/, "").replace(/\+/g, ".");
}

/** Bytes, or null when `text` is not ab64 (bad characters or an impossible length). */
export function ab64Decode(text: string): Buffer | null {
  if (!AB64.test(text) || text.length % 4 === 1) return null;
  return Buffer.from(text.replace(/\./g, "+"), "base64");
}
