import * as client from "openid-client";
import { asProviderError, discoveryOptions, limitCalls } from "./client.js";
import { ProviderError, type FlowSecrets, type OAuthProvider, type ProviderIdentity } from "./types.js";

export interface OidcSettings {
  name: string;
  label: string;
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  scopes: string[];
  tokenAuth: "client_secret_basic" | "client_secret_post" | "none";
  timeoutMs: number;
}

/**
 * An OpenID Connect provider found by discovery (Google, Okta, Keycloak, Auth0, Entra ID…). openid-client checks
 * the callback's state and `iss`, exchanges the code with the PKCE verifier, and validates the id_token: its
 * signature by the provider's JWKS, `iss`, `aud` (our client id), `exp`, and the nonce this browser was given.
 */
export function oidcProvider(s: OidcSettings): OAuthProvider {
  let discovered: Promise<client.Configuration> | null = null;
  // Discovered once and kept; a failed discovery is not kept, so the next sign-in tries again.
  const configuration = () => {
    discovered ??= discover(s).catch((err) => {
      discovered = null;
      throw asProviderError(err);
    });
    return discovered;
  };
  const scope = (s.scopes.includes("openid") ? s.scopes : ["openid", ...s.scopes]).join(" ");
  return {
    name: s.name,
    label: s.label,
    kind: "oidc",
    async authorizationUrl(secrets: FlowSecrets): Promise<URL> {
      const config = await configuration();
      return client.buildAuthorizationUrl(config, {
        redirect_uri: secrets.redirectUri,
        scope,
        response_type: "code",
        code_challenge: await client.calculatePKCECodeChallenge(secrets.codeVerifier),
        code_challenge_method: "S256",
        state: secrets.state,
        nonce: secrets.nonce,
      });
    },
    async finish(callbackUrl: URL, secrets: FlowSecrets): Promise<ProviderIdentity> {
      const config = await configuration();
      try {
        const tokens = await client.authorizationCodeGrant(
          config,
          callbackUrl,
          {
            pkceCodeVerifier: secrets.codeVerifier,
            expectedState: secrets.state,
            expectedNonce: secrets.nonce,
            idTokenExpected: true,
          },
          { redirect_uri: secrets.redirectUri },
        );
        const claims = tokens.claims();
        if (!claims) throw new ProviderError("handshake", "invalid_response", "no id_token");
        // OIDC Core 3.1.3.7: an azp present must be this client (openid-client checks it only when `aud` lists
        // several audiences); a token some other client was given is not a sign-in here.
        if (claims.azp !== undefined && claims.azp !== s.clientId)
          throw new ProviderError("handshake", "invalid_azp", "the id_token was issued to another client");
        return identityOf(s.name, claims);
      } catch (err) {
        throw asProviderError(err);
      }
    },
  };
}

async function discover(s: OidcSettings): Promise<client.Configuration> {
  const auth =
    s.tokenAuth === "none"
      ? client.None()
      : s.tokenAuth === "client_secret_post"
        ? client.ClientSecretPost(s.clientSecret ?? "")
        : client.ClientSecretBasic(s.clientSecret ?? "");
  const config = await client.discovery(
    new URL(s.issuer),
    s.clientId,
    undefined,
    auth,
    discoveryOptions(s.timeoutMs, s.issuer),
  );
  // openid-client trusts TLS for an id_token from the token endpoint; Rampart checks its signature by the
  // provider's JWKS all the same (a compromised or misrouted token endpoint must not mint identities).
  client.enableNonRepudiationChecks(config);
  return limitCalls(config, s.timeoutMs, [s.issuer]);
}

/** The person in a validated id_token. Only a boolean `email_verified: true` counts as verified. */
export function identityOf(provider: string, claims: client.IDToken): ProviderIdentity {
  const email = typeof claims.email === "string" && claims.email ? claims.email : null;
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((v): v is string => typeof v === "string") : [];
  return {
    provider,
    issuer: claims.iss,
    subject: claims.sub,
    email,
    emailVerified: email !== null && claims.email_verified === true,
    name: typeof claims.name === "string" ? claims.name : null,
    amr: amr.slice(0, 8).map((v) => v.slice(0, 32)),
    acr: typeof claims.acr === "string" ? claims.acr.slice(0, 128) : null,
  };
}
