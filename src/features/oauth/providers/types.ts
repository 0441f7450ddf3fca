/**
 * What every provider (Google, GitHub, a generic OpenID Connect one) gives the flow: an authorization URL for a
 * started sign-in, and — from the URL the provider sent the browser back to — the identity it asserts. The
 * protocol work (PKCE, state, nonce, id_token checks) is openid-client's; a provider file only says where its
 * endpoints are and how to read the person out of its answer.
 */
export interface ProviderIdentity {
  /** The configured provider's name. */
  provider: string;
  /** Who asserted it: the OIDC issuer (checked against the id_token's `iss`), GitHub's web origin. */
  issuer: string;
  /** The provider's stable id of the person (OIDC `sub`, GitHub's numeric id as text). */
  subject: string;
  /** The email the provider gave (lower-cased domain not applied: the caller canonicalizes). */
  email: string | null;
  /** True only when the provider asserted `email` verified with a real boolean true (never the string "true"). */
  emailVerified: boolean;
  name: string | null;
  /** Upstream authentication methods and context class (OIDC `amr` / `acr`), recorded with the session. */
  amr: string[];
  acr: string | null;
}

/** The per-flow secrets, made at the start and kept in the browser's flow cookie until the callback. */
export interface FlowSecrets {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The exact redirect URI given at the start (RAMPART_BASE_URL + the response route + /<name>). */
  redirectUri: string;
}

export interface OAuthProvider {
  name: string;
  /** What the sign-in button says ("Google", "GitHub", the configured label). */
  label: string;
  kind: "oidc" | "github";
  /** Its verified emails may link a first sign-in to an account or register one (Google, GitHub; a generic
   * provider only when configured with trustEmail). */
  trustsEmail: boolean;
  /** Where the browser goes to authenticate (PKCE S256, state, and for OIDC a nonce). */
  authorizationUrl(secrets: FlowSecrets): Promise<URL>;
  /**
   * The code exchange for the URL the provider sent the browser back to, with every check of the answer; throws
   * ProviderError on any failure (the flow shows it; nothing is signed in).
   */
  finish(callbackUrl: URL, secrets: FlowSecrets): Promise<ProviderIdentity>;
}

/**
 * A provider step failed. `unavailable`: the provider did not answer (down, timed out, 5xx) — worth trying again;
 * `denied`: the user (or provider) refused at the provider (`error=access_denied`); `handshake`: anything else
 * (a bad state, code, id_token, or answer) — the message names the provider's error code, never a secret.
 */
export class ProviderError extends Error {
  constructor(
    readonly reason: "unavailable" | "denied" | "handshake",
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = "ProviderError";
  }
}
