/** TOTP (RFC 6238) for authenticator apps and email/SMS codes, plus encryption of the secrets at rest. */
export {
  generateTotpSecret,
  secretFromBase32,
  totpUri,
  qrCodeDataUrl,
  TOTP_SECRET_BYTES,
  TOTP_ALGORITHM,
  TOTP_DIGITS,
  TOTP_PERIOD,
  type TotpUriOptions,
} from "./secret.js";
export {
  verifyTotp,
  generateTotpCode,
  totpStep,
  type VerifyTotpOptions,
  type GenerateTotpCodeOptions,
  type TotpVerifyResult,
} from "./verify.js";
export { createSecretBox, type SecretBox } from "./secret-box.js";
