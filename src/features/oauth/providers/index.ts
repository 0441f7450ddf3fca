import type { Runtime } from "../../../core/runtime.js";
import { sliceOf } from "../../../core/config/slice.js";
import { oauthSlice, type OauthConfig } from "../config.js";
import { githubProvider } from "./github.js";
import { oidcProvider } from "./oidc.js";
import type { OAuthProvider } from "./types.js";

const built = new WeakMap<Runtime, Map<string, OAuthProvider>>();

/**
 * The providers this deployment offers, by name, in the order their buttons show: Google and GitHub when enabled
 * (Enferno's GOOGLE_AUTH_ENABLED / GITHUB_AUTH_ENABLED, or SECURITY_OAUTH_BUILTIN_PROVIDERS with a client id),
 * then RAMPART_OAUTH_PROVIDERS. Built once per runtime (an OIDC provider keeps its discovery).
 */
export function providersOf(rt: Runtime): Map<string, OAuthProvider> {
  let map = built.get(rt);
  if (!map) {
    map = buildProviders(sliceOf(rt.config, oauthSlice));
    built.set(rt, map);
  }
  return map;
}

export function providerOf(rt: Runtime, name: string): OAuthProvider | null {
  return providersOf(rt).get(name) ?? null;
}

function builtinOn(cfg: OauthConfig, which: "google" | "github"): boolean {
  const p = cfg[which];
  if (!p.clientId || !p.clientSecret) return false;
  return p.enabled || (cfg.enabled && cfg.builtinProviders.includes(which));
}

function buildProviders(cfg: OauthConfig): Map<string, OAuthProvider> {
  const map = new Map<string, OAuthProvider>();
  if (builtinOn(cfg, "google"))
    map.set(
      "google",
      oidcProvider({
        name: "google",
        label: "Google",
        issuer: cfg.google.issuer,
        clientId: cfg.google.clientId!,
        clientSecret: cfg.google.clientSecret!,
        scopes: cfg.google.scopes,
        tokenAuth: "client_secret_basic",
        timeoutMs: cfg.timeoutMs,
        // Google verifies the addresses it asserts (its own, and Workspace domains it hosts).
        trustsEmail: true,
      }),
    );
  if (builtinOn(cfg, "github"))
    map.set(
      "github",
      githubProvider({
        clientId: cfg.github.clientId!,
        clientSecret: cfg.github.clientSecret!,
        authorizeUrl: cfg.github.authorizeUrl,
        tokenUrl: cfg.github.tokenUrl,
        apiUrl: cfg.github.apiUrl,
        scopes: cfg.github.scopes,
        timeoutMs: cfg.timeoutMs,
      }),
    );
  for (const p of cfg.providers)
    map.set(
      p.name,
      oidcProvider({
        name: p.name,
        label: p.label ?? p.name,
        issuer: p.issuer,
        clientId: p.clientId,
        clientSecret: p.clientSecret ?? null,
        scopes: p.scopes,
        tokenAuth: p.tokenAuth,
        timeoutMs: cfg.timeoutMs,
        trustsEmail: p.trustEmail,
      }),
    );
  return map;
}

export { ProviderError, type OAuthProvider, type ProviderIdentity, type FlowSecrets } from "./types.js";
