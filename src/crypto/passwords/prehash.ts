import { createHmac } from "node:crypto";

/**
 * Flask-Security's "double hash" (utils.get_hmac): base64(HMAC-SHA512(key=PASSWORD_SALT, msg=password)),
 * standard base64 with padding (88 ASCII characters). Both strings are UTF-8 encoded, as FS encode_string does.
 */
export function fsPrehash(password: string, salt: string): string {
  return createHmac("sha512", Buffer.from(salt, "utf8")).update(password, "utf8").digest("base64");
}

/** bcrypt reads at most 72 bytes; FS 5.7+ cuts the secret there explicitly. UTF-8 bytes, cut at 72. */
export function bcryptSecret(secret: string): Buffer {
  const bytes = Buffer.from(secret, "utf8");
  return bytes.length > 72 ? bytes.subarray(0, 72) : bytes;
}
