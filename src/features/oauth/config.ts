import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";

/**
 * Social and enterprise sign-in (Flask-Security OAUTH_*): Google, GitHub and any OpenID Connect provider found by
 * discovery. Resolved at `config.oauth`; read it with `sliceOf(config, oauthSlice)`.
 *
 * A provider's endpoints and the redirect URI are only ever what is configured here (the redirect URI is built
 * from RAMPART_BASE_URL, never from the request's Host, so a forged Host cannot send a provider's code elsewhere).
 */
const path = z.string().startsWith("/");
const name = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "lower-case letters, digits, - and _ (at most 32)");
const scopes = z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).min(1);

const google = z
  .strictObject({
    enabled: key(z.boolean().default(false), {
      env: "GOOGLE_AUTH_ENABLED",
      doc: "Sign in with Google (as Enferno's .env); also on when SECURITY_OAUTH_BUILTIN_PROVIDERS names google and a client id is set.",
    }),
    clientId: key(z.string().min(1).nullable().default(null), {
      env: "GOOGLE_OAUTH_CLIENT_ID",
      doc: "The OAuth client id Google issued for this app.",
    }),
    clientSecret: key(z.string().min(1).nullable().default(null), {
      env: "GOOGLE_OAUTH_CLIENT_SECRET",
      doc: "The client secret Google issued for this app.",
    }),
    issuer: key(z.url().default("https://accounts.google.com"), {
      env: "RAMPART_OAUTH_GOOGLE_ISSUER",
      doc: "Google's OpenID Connect issuer (its discovery document is read from it); change only to test against another provider.",
    }),
    scopes: key(scopes.default(["openid", "email", "profile"]), {
      env: "RAMPART_OAUTH_GOOGLE_SCOPES",
      doc: "Scopes asked of Google (openid is added when missing: the id_token is what identifies the user).",
    }),
  })
  .prefault({});

const github = z
  .strictObject({
    enabled: key(z.boolean().default(false), {
      env: "GITHUB_AUTH_ENABLED",
      doc: "Sign in with GitHub (as Enferno's .env); also on when SECURITY_OAUTH_BUILTIN_PROVIDERS names github and a client id is set.",
    }),
    clientId: key(z.string().min(1).nullable().default(null), {
      env: "GITHUB_OAUTH_CLIENT_ID",
      doc: "The OAuth app's client id (GitHub → Settings → Developer settings → OAuth Apps).",
    }),
    clientSecret: key(z.string().min(1).nullable().default(null), {
      env: "GITHUB_OAUTH_CLIENT_SECRET",
      doc: "The OAuth app's client secret.",
    }),
    authorizeUrl: key(z.url().default("https://github.com/login/oauth/authorize"), {
      env: "RAMPART_OAUTH_GITHUB_AUTHORIZE_URL",
      doc: "GitHub's authorization endpoint (GitHub Enterprise: https://HOST/login/oauth/authorize).",
    }),
    tokenUrl: key(z.url().default("https://github.com/login/oauth/access_token"), {
      env: "RAMPART_OAUTH_GITHUB_TOKEN_URL",
      doc: "GitHub's token endpoint.",
    }),
    apiUrl: key(z.url().default("https://api.github.com"), {
      env: "RAMPART_OAUTH_GITHUB_API_URL",
      doc: "GitHub's REST API base (GitHub Enterprise: https://HOST/api/v3); /user and /user/emails are read from it.",
    }),
    scopes: key(scopes.default(["user:email"]), {
      env: "RAMPART_OAUTH_GITHUB_SCOPES",
      doc: "Scopes asked of GitHub: user:email lets Rampart read which addresses GitHub has verified.",
    }),
  })
  .prefault({});

/** A generic OpenID Connect provider (Okta, Keycloak, Auth0, Entra ID…), declared in RAMPART_OAUTH_PROVIDERS. */
export const oidcProviderSchema = z.strictObject({
  name,
  label: z.string().min(1).max(64).optional(),
  issuer: z.url(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  scopes: scopes.default(["openid", "email", "profile"]),
  /** How the client authenticates at the token endpoint. */
  tokenAuth: z.enum(["client_secret_basic", "client_secret_post", "none"]).default("client_secret_basic"),
  /**
   * Whether this provider's `email_verified: true` is trusted to link a first sign-in to the local account with
   * that email, or to register one. Off by default: how well a provider checks addresses varies (self-service
   * realms, some connections), and one careless provider would open any confirmed account whose email it asserts.
   */
  trustEmail: z.boolean().default(false),
});

const schema = z.strictObject({
  enabled: key(z.boolean().default(false), {
    env: "SECURITY_OAUTH_ENABLE",
    doc: "Sign-in with the configured providers at /login/oauthstart/<name> (FS OAUTH_ENABLE). GOOGLE_AUTH_ENABLED, GITHUB_AUTH_ENABLED or a provider in RAMPART_OAUTH_PROVIDERS turn it on too.",
  }),
  builtinProviders: key(z.array(z.enum(["google", "github"])).default(["github", "google"]), {
    env: "SECURITY_OAUTH_BUILTIN_PROVIDERS",
    doc: "Which built-in providers may be used (FS OAUTH_BUILTIN_PROVIDERS); each still needs its client id.",
  }),
  google,
  github,
  providers: key(z.array(oidcProviderSchema).default([]), {
    env: "RAMPART_OAUTH_PROVIDERS",
    kind: "json",
    doc: 'Other OpenID Connect providers, as JSON: [{"name": "okta", "label": "Okta", "issuer": "https://ORG.okta.com", "clientId": "…", "clientSecret": "…"}] (scopes, tokenAuth optional). Discovery is read from the issuer. "trustEmail": true lets its verified emails link first sign-ins to existing accounts and register new ones (default false: its users link it from the account page).',
  }),
  startUrl: key(path.default("/login/oauthstart"), {
    env: "SECURITY_OAUTH_START_URL",
    doc: "POST `<url>/<name>` sends the browser to the provider (FS OAUTH_START_URL).",
  }),
  responseUrl: key(path.default("/login/oauthresponse"), {
    env: "SECURITY_OAUTH_RESPONSE_URL",
    doc: "`<url>/<name>` is where the provider sends the browser back: register RAMPART_BASE_URL + this + /<name> as the redirect URI (FS OAUTH_RESPONSE_URL).",
  }),
  verifyStartUrl: key(path.default("/login/oauth-verify-start"), {
    env: "SECURITY_OAUTH_VERIFY_START_URL",
    doc: "POST `<url>/<name>` re-authenticates the signed-in user with a linked identity (FS OAUTH_VERIFY_START_URL).",
  }),
  verifyResponseUrl: key(path.default("/login/oauth-verify-response"), {
    env: "SECURITY_OAUTH_VERIFY_RESPONSE_URL",
    doc: "`<url>/<name>`: the provider's return from a re-authentication; register it too (FS OAUTH_VERIFY_RESPONSE_URL).",
  }),
  accountsUrl: key(path.default("/oauth-accounts"), {
    env: "RAMPART_OAUTH_ACCOUNTS_URL",
    doc: "Lists the signed-in user's linked identities; POST `<url>/link/<name>` links one, POST `<url>/unlink` removes one.",
  }),
  postOauthLoginView: key(z.string().nullable().default(null), {
    env: "SECURITY_POST_OAUTH_LOGIN_VIEW",
    doc: "SPA mode: where the browser lands after a social sign-in, with ?email&identity (FS POST_OAUTH_LOGIN_VIEW); null: POST_LOGIN_VIEW.",
  }),
  postOauthVerifyView: key(z.string().nullable().default(null), {
    env: "SECURITY_POST_OAUTH_VERIFY_VIEW",
    doc: "SPA mode: where the browser lands after re-authenticating with a provider (FS POST_OAUTH_VERIFY_VIEW); null: POST_VERIFY_VIEW.",
  }),
  verifyErrorView: key(z.string().nullable().default(null), {
    env: "SECURITY_VERIFY_ERROR_VIEW",
    doc: "SPA mode: where a failed re-authentication with a provider lands, with ?error (FS VERIFY_ERROR_VIEW); null: the verify page.",
  }),
  linkByVerifiedEmail: key(z.boolean().default(true), {
    env: "RAMPART_OAUTH_LINK_BY_EMAIL",
    doc: "A first sign-in whose provider asserts a verified email (boolean true) is linked to the confirmed local account with that email. Never to an unconfirmed one; off: only identities linked from the account page sign in.",
  }),
  register: key(z.boolean().default(false), {
    env: "RAMPART_OAUTH_REGISTER",
    doc: "A first sign-in with a verified email nobody has creates the account (no password; the provider proved the mailbox). Needs SECURITY_REGISTERABLE.",
  }),
  stateWithinSeconds: key(z.number().int().min(60).max(86400).default(600), {
    env: "RAMPART_OAUTH_STATE_WITHIN",
    doc: "How long a started sign-in may take at the provider before its state is refused.",
  }),
  timeoutMs: key(z.number().int().min(500).max(60000).default(10000), {
    env: "RAMPART_OAUTH_TIMEOUT_MS",
    doc: "Bound on each call to a provider (discovery, token, user info): a provider that does not answer is an error page, not a hang.",
  }),
});

export const oauthSlice = defineSlice({
  key: "oauth",
  schema,
  validate(value, config): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (!oauthOn(value)) return issues;
    if (typeof config.baseUrl !== "string")
      issues.push({
        key: "oauth.enabled",
        message:
          "social sign-in needs RAMPART_BASE_URL: the redirect URI given to providers is built from it, never from the request's Host",
      });
    const names = new Set<string>();
    for (const p of value.providers) {
      if (p.name === "google" || p.name === "github" || names.has(p.name))
        issues.push({ key: "oauth.providers", message: `RAMPART_OAUTH_PROVIDERS: the name ${p.name} is used twice` });
      names.add(p.name);
      if (p.tokenAuth !== "none" && !p.clientSecret)
        issues.push({
          key: "oauth.providers",
          message: `RAMPART_OAUTH_PROVIDERS: ${p.name} needs a clientSecret (or tokenAuth "none")`,
        });
    }
    for (const builtin of ["google", "github"] as const) {
      const p = value[builtin];
      if (p.enabled && (!p.clientId || !p.clientSecret))
        issues.push({
          key: `oauth.${builtin}.clientId`,
          message: `${builtin.toUpperCase()}_AUTH_ENABLED needs ${builtin.toUpperCase()}_OAUTH_CLIENT_ID and ${builtin.toUpperCase()}_OAUTH_CLIENT_SECRET`,
        });
    }
    // Plain http only to this machine (a test, a local Keycloak): a provider elsewhere is reached over https.
    const urls: [string, string][] = [
      ...value.providers.map((p): [string, string] => ["oauth.providers", p.issuer]),
      ["oauth.google.issuer", value.google.issuer],
      ["oauth.github.authorizeUrl", value.github.authorizeUrl],
      ["oauth.github.tokenUrl", value.github.tokenUrl],
      ["oauth.github.apiUrl", value.github.apiUrl],
    ];
    for (const [at, url] of urls)
      if (isRemoteHttp(url)) issues.push({ key: at, message: `${url}: plain http is allowed only on loopback` });
    if (value.register && (config.registration as { enabled?: unknown } | undefined)?.enabled !== true)
      issues.push({
        key: "oauth.register",
        message: "RAMPART_OAUTH_REGISTER creates accounts: it needs SECURITY_REGISTERABLE",
      });
    return issues;
  },
});

/**
 * The feature is on: OAUTH_ENABLE, one of Enferno's GOOGLE_AUTH_ENABLED / GITHUB_AUTH_ENABLED, or a provider
 * declared in RAMPART_OAUTH_PROVIDERS (declaring one and finding every route a 404 helps nobody).
 */
export function oauthOn(value: OauthConfig): boolean {
  return value.enabled || value.google.enabled || value.github.enabled || value.providers.length > 0;
}

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    oauth: typeof oauthSlice;
  }
}

export type OauthConfig = z.output<typeof schema>;
export type OidcProviderConfig = z.output<typeof oidcProviderSchema>;

/** A plain-http URL to this machine: allowed for a provider only there (a test, a local Keycloak). */
export function isLoopbackHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
}

/** A plain-http URL to anything but this machine: never a provider's endpoint. */
export function isRemoteHttp(url: string): boolean {
  return new URL(url).protocol === "http:" && !isLoopbackHttp(url);
}
