import type { ProviderIdentity } from "./providers/types.js";
import type { LinkedIdentity, LinkedIdentityStore } from "./store.js";

/**
 * The linked identity a provider's assertion names: by the configured provider and the subject, and only when
 * the issuer that asserted it now is the issuer it was linked from. A subject is unique per issuer only: when a
 * provider name is pointed elsewhere (github.com → a GitHub Enterprise host, another Okta tenant), someone there
 * may carry an old subject, and must not become the account linked from the old issuer. Such a row is an
 * `issuerMismatch` — refused by sign-in, re-authentication and linking alike, never treated as "not linked"
 * (which would go on to link by email).
 */
export type IdentityLookup = { record: LinkedIdentity | null } | { issuerMismatch: LinkedIdentity };

export async function findIdentity(store: LinkedIdentityStore, identity: ProviderIdentity): Promise<IdentityLookup> {
  const record = await store.find(identity.provider, identity.subject);
  if (record && record.issuer !== identity.issuer) return { issuerMismatch: record };
  return { record };
}
