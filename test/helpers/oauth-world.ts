/**
 * A Rampart app with social sign-in pointed at real providers on loopback: an OpenID Connect provider
 * (oidc-provider) declared as the generic provider "okta", a second one standing in for Google's issuer, and a
 * GitHub-speaking server. `signInWith` drives a whole flow headlessly, as a browser would: POST the start route
 * (with CSRF), follow the provider's redirects, and GET the callback in the same client (its cookies).
 */
import type { RampartConfigInput } from "../../src/index.js";
import { createTestApp, type TestApp } from "./app.js";
import type { Reply, TestClient } from "./client.js";
import { followToRedirectUri, startOidcIdp, type OidcIdp } from "./oidc-idp.js";
import { startGithubFake, type GithubFake } from "./github-fake.js";

export const APP = "https://app.test";
export type ProviderName = "okta" | "google" | "github";

export interface OauthWorld {
  app: TestApp;
  /** The generic OIDC provider "okta". */
  idp: OidcIdp;
  /** The OIDC provider behind "google" (its issuer overridden). */
  google: OidcIdp;
  github: GithubFake;
  /**
   * POST <start>/<name> (or the verify / link start), follow the provider, GET the callback: returns the
   * callback's reply (a redirect). `start` is the start route's answer (its Location is the provider's URL).
   */
  signInWith(
    client: TestClient,
    name: ProviderName,
    options?: { next?: string; route?: "login" | "verify" | "link"; json?: boolean },
  ): Promise<{ start: Reply; callback: Reply; providerUrl: URL | null; returnUrl: URL | null }>;
  close(): Promise<void>;
}

const returnUris = (name: string) => [
  `${APP}/login/oauthresponse/${name}`,
  `${APP}/login/oauth-verify-response/${name}`,
];

/**
 * The `oauth` configuration pointing the three providers at the loopback ones: "okta" (a generic OIDC provider,
 * trusted with verified emails unless `oktaTrustsEmail` is false), "google" (its issuer overridden) and "github".
 */
export function loopbackProviders(
  p: { idp: OidcIdp; google: OidcIdp; github: GithubFake },
  oktaTrustsEmail = true,
): Record<string, unknown> {
  return {
    enabled: true,
    providers: [
      {
        name: "okta",
        label: "Okta",
        issuer: p.idp.issuer,
        clientId: p.idp.clientId,
        clientSecret: p.idp.clientSecret,
        trustEmail: oktaTrustsEmail,
      },
    ],
    google: {
      enabled: true,
      clientId: p.google.clientId,
      clientSecret: p.google.clientSecret,
      issuer: p.google.issuer,
    },
    github: {
      enabled: true,
      clientId: p.github.clientId,
      clientSecret: p.github.clientSecret,
      authorizeUrl: `${p.github.url}/login/oauth/authorize`,
      tokenUrl: `${p.github.url}/login/oauth/access_token`,
      apiUrl: p.github.url,
    },
  };
}

export async function startOauthWorld(
  options: {
    dialect?: "sqlite" | "postgres" | "mysql";
    config?: RampartConfigInput;
    mail?: boolean;
    /** The generic provider "okta" is trusted with emails (its `trustEmail`); default true in these tests. */
    oktaTrustsEmail?: boolean;
  } = {},
): Promise<OauthWorld> {
  const idp = await startOidcIdp({ redirectUris: returnUris("okta") });
  const google = await startOidcIdp({ redirectUris: returnUris("google"), clientId: "google-client" });
  const github = await startGithubFake({ redirectUris: returnUris("github") });
  const extra = (options.config ?? {}) as Record<string, unknown>;
  const oauthExtra = (extra.oauth ?? {}) as Record<string, unknown>;
  let app: TestApp;
  try {
    app = await createTestApp({
      dialect: options.dialect ?? "sqlite",
      mail: options.mail ?? false,
      config: {
        ...extra,
        oauth: { ...loopbackProviders({ idp, google, github }, options.oktaTrustsEmail ?? true), ...oauthExtra },
      } as RampartConfigInput,
    });
  } catch (err) {
    await Promise.all([idp.close(), google.close(), github.close()]);
    throw err;
  }
  const startPath = (name: string, route: "login" | "verify" | "link") =>
    route === "verify"
      ? `/login/oauth-verify-start/${name}`
      : route === "link"
        ? `/oauth-accounts/link/${name}`
        : `/login/oauthstart/${name}`;
  return {
    app,
    idp,
    google,
    github,
    async signInWith(client, name, opts = {}) {
      const csrf = await client.csrf();
      const query = opts.next ? `?next=${encodeURIComponent(opts.next)}` : "";
      const start = await client.post(`${startPath(name, opts.route ?? "login")}${query}`, {
        headers: { "x-csrf-token": csrf },
        ...(opts.json ? { acceptJson: true, json: {} } : { form: { csrf_token: csrf } }),
      });
      const target = opts.json
        ? start.status === 200
          ? (start.json.response.location as string)
          : null
        : start.location;
      if (!target || !/^https?:\/\/127\.0\.0\.1/.test(target))
        return { start, callback: start, providerUrl: null, returnUrl: null };
      const providerUrl = new URL(target);
      const returnUrl = await followToRedirectUri(target, `${APP}/`);
      const callback = await client.get(returnUrl.pathname + returnUrl.search);
      return { start, callback, providerUrl, returnUrl };
    },
    async close() {
      await app.close();
      await Promise.all([idp.close(), google.close(), github.close()]);
    },
  };
}
