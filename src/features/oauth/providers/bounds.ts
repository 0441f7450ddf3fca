import { ProviderError, type ProviderIdentity } from "./types.js";

/** The sizes of oauth_account's columns (migration 0001): what a linked identity can hold. */
export const IDENTITY_LIMITS = { subject: 255, issuer: 512, email: 320 } as const;

/**
 * A provider's identity that does not fit where it is kept is refused as a bad answer, never cut: two subjects
 * cut to one length would be one identity (and a database in strict mode would fail the insert instead).
 */
export function withinBounds(identity: ProviderIdentity): ProviderIdentity {
  if (!identity.subject || identity.subject.length > IDENTITY_LIMITS.subject)
    throw new ProviderError("handshake", "invalid_subject", "the subject is empty or longer than 255 characters");
  if (identity.issuer.length > IDENTITY_LIMITS.issuer)
    throw new ProviderError("handshake", "invalid_issuer", "the issuer is longer than 512 characters");
  if (identity.email !== null && identity.email.length > IDENTITY_LIMITS.email)
    throw new ProviderError("handshake", "invalid_email", "the email is longer than 320 characters");
  return identity;
}
