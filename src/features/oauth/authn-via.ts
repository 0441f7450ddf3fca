import type { AuthnMethod } from "../../core/methods.js";
import type { ProviderIdentity } from "./providers/types.js";

/**
 * How a provider sign-in is recorded with the session and in the audit: "oauth", the provider, and the upstream
 * `amr` / `acr` the provider asserted. The upstream values are information only: a provider saying "mfa" does not
 * excuse the second factor this app asks for (the app cannot check how the provider decided it).
 */
export function oauthAuthnVia(identity: ProviderIdentity): AuthnMethod[] {
  const clean = (v: string) => v.replace(/[^\x21-\x7e]/g, "").slice(0, 64);
  return [
    "oauth",
    `oauth:idp=${identity.provider}`,
    ...identity.amr.map((a) => `oauth:amr=${clean(a)}` as const),
    ...(identity.acr ? [`oauth:acr=${clean(identity.acr)}` as const] : []),
  ];
}
