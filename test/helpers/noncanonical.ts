/**
 * Another spelling of the same bytes for a base64url value whose length leaves unused bits in its last
 * character (a 32-byte HMAC: 43 characters, 2 unused bits): lenient decoders read both spellings the same.
 */
export function reencodeLastChar(value: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet.indexOf(value.at(-1)!);
  if (last < 0) throw new Error("not base64url");
  return value.slice(0, -1) + alphabet[last ^ 1];
}

/** A signed token (`body.signature`) with its signature spelled differently (same bytes). */
export function reencodeSignature(token: string): string {
  const dot = token.lastIndexOf(".");
  return `${token.slice(0, dot)}.${reencodeLastChar(token.slice(dot + 1))}`;
}
