import * as client from "openid-client";
import { z } from "zod";
import { asProviderError, limitCalls } from "./client.js";
import { ProviderError, type FlowSecrets, type OAuthProvider, type ProviderIdentity } from "./types.js";

export interface GithubSettings {
  clientId: string;
  clientSecret: string;
  authorizeUrl: string;
  tokenUrl: string;
  apiUrl: string;
  scopes: string[];
  timeoutMs: number;
}

const user = z.object({ id: z.number().int(), login: z.string(), name: z.string().nullish() });
const emails = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }));

/**
 * GitHub is OAuth 2.0 without OpenID Connect: no id_token, so the person is read from its API with the access
 * token — the numeric user id as the subject, and the primary address only if GitHub says it is verified (the
 * profile's public `email` is whatever the user typed, and is never trusted as verified). PKCE and the state are
 * checked as for any provider.
 */
export function githubProvider(s: GithubSettings): OAuthProvider {
  const issuer = new URL(s.authorizeUrl).origin;
  const config = limitCalls(
    new client.Configuration(
      { issuer, authorization_endpoint: s.authorizeUrl, token_endpoint: s.tokenUrl },
      s.clientId,
      undefined,
      client.ClientSecretPost(s.clientSecret),
    ),
    s.timeoutMs,
    [s.authorizeUrl, s.tokenUrl, s.apiUrl],
  );
  const api = async (token: string, path: string): Promise<unknown> => {
    const url = new URL(path.replace(/^\//, ""), s.apiUrl.endsWith("/") ? s.apiUrl : `${s.apiUrl}/`);
    const response = await client.fetchProtectedResource(
      config,
      token,
      url,
      "GET",
      undefined,
      new Headers({
        accept: "application/vnd.github+json",
      }),
    );
    if (!response.ok)
      throw new ProviderError(response.status >= 500 ? "unavailable" : "handshake", `api_${response.status}`, path);
    return response.json();
  };
  return {
    name: "github",
    label: "GitHub",
    kind: "github",
    // GitHub marks an address verified only after its owner clicked GitHub's mail.
    trustsEmail: true,
    async authorizationUrl(secrets: FlowSecrets): Promise<URL> {
      return client.buildAuthorizationUrl(config, {
        redirect_uri: secrets.redirectUri,
        scope: s.scopes.join(" "),
        code_challenge: await client.calculatePKCECodeChallenge(secrets.codeVerifier),
        code_challenge_method: "S256",
        state: secrets.state,
      });
    },
    async finish(callbackUrl: URL, secrets: FlowSecrets): Promise<ProviderIdentity> {
      try {
        const tokens = await client.authorizationCodeGrant(
          config,
          callbackUrl,
          { pkceCodeVerifier: secrets.codeVerifier, expectedState: secrets.state },
          { redirect_uri: secrets.redirectUri },
        );
        const profile = user.safeParse(await api(tokens.access_token, "/user"));
        if (!profile.success) throw new ProviderError("handshake", "invalid_response", "unexpected /user answer");
        const list = emails.safeParse(await api(tokens.access_token, "/user/emails"));
        const primary = list.success ? list.data.find((e) => e.primary && e.verified) : undefined;
        return {
          provider: "github",
          issuer,
          subject: String(profile.data.id),
          email: primary?.email ?? null,
          emailVerified: primary !== undefined,
          name: profile.data.name ?? profile.data.login,
          amr: [],
          acr: null,
        };
      } catch (err) {
        throw asProviderError(err);
      }
    },
  };
}
