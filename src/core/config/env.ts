import type { ConfigSlice } from "./slice.js";
import type { RampartConfigInput } from "./slices.js";

/**
 * Maps Flask-Security's environment names onto the typed config, for the standalone server.
 * Durations are seconds. Lists accept JSON (["a","b"]) or comma-separated text.
 */
export type EnvKind = "string" | "bool" | "int" | "list" | "json" | "nullable-string";
type Kind = EnvKind;
export const envMap: Record<string, [path: string, kind: Kind]> = {
  SECRET_KEY: ["secretKey", "string"],
  SECRET_KEY_FALLBACKS: ["secretKeyFallbacks", "list"],
  RAMPART_DEVELOPMENT: ["development", "bool"],
  RAMPART_BASE_URL: ["baseUrl", "string"],
  RAMPART_APP_NAME: ["appName", "string"],
  RAMPART_TRUSTED_PROXY_COUNT: ["trustedProxyCount", "int"],
  RAMPART_MAX_BODY_BYTES: ["maxBodyBytes", "int"],
  SECURITY_URL_PREFIX: ["urlPrefix", "string"],
  SECURITY_RETURN_GENERIC_RESPONSES: ["returnGenericResponses", "bool"],
  SECURITY_API_ENABLED_METHODS: ["apiEnabledMethods", "list"],
  SECURITY_DEFAULT_REMEMBER_ME: ["defaultRememberMe", "bool"],
  SECURITY_DEFAULT_HTTP_AUTH_REALM: ["httpAuthRealm", "string"],
  SECURITY_TRACKABLE: ["trackable", "bool"],
  SECURITY_MESSAGES: ["messages", "json"],
  SECURITY_LOGIN_URL: ["urls.login", "string"],
  SECURITY_LOGOUT_URL: ["urls.logout", "string"],
  SECURITY_VERIFY_URL: ["urls.verify", "string"],
  SECURITY_SESSIONS_URL: ["urls.sessions", "string"],
  SECURITY_POST_LOGIN_VIEW: ["urls.postLoginView", "string"],
  SECURITY_POST_LOGOUT_VIEW: ["urls.postLogoutView", "string"],
  SECURITY_POST_VERIFY_VIEW: ["urls.postVerifyView", "nullable-string"],
  SECURITY_UNAUTHORIZED_VIEW: ["urls.unauthorizedView", "nullable-string"],
  SECURITY_LOGOUT_METHODS: ["urls.logoutMethods", "list"],
  SECURITY_REDIRECT_BEHAVIOR: ["urls.redirectBehavior", "nullable-string"],
  SECURITY_REDIRECT_HOST: ["urls.redirectHost", "nullable-string"],
  RAMPART_SIGNIN_LINKS_ON_GET: ["urls.signInLinksOnGet", "bool"],
  SERVER_NAME: ["redirect.serverName", "nullable-string"],
  SECURITY_REDIRECT_ALLOW_SUBDOMAINS: ["redirect.allowSubdomains", "bool"],
  SECURITY_REDIRECT_BASE_DOMAIN: ["redirect.baseDomain", "nullable-string"],
  SECURITY_REDIRECT_ALLOWED_SUBDOMAINS: ["redirect.allowedSubdomains", "list"],
  SECURITY_USERNAME_ENABLE: ["username.enable", "bool"],
  SECURITY_USERNAME_REQUIRED: ["username.required", "bool"],
  SECURITY_USERNAME_MIN_LENGTH: ["username.minLength", "int"],
  SECURITY_USERNAME_MAX_LENGTH: ["username.maxLength", "int"],
  SECURITY_PASSWORD_HASH: ["password.hash", "string"],
  SECURITY_PASSWORD_SALT: ["password.salt", "nullable-string"],
  SECURITY_PASSWORD_NORMALIZE_FORM: ["password.normalizeForm", "nullable-string"],
  SECURITY_PASSWORD_LENGTH_MIN: ["password.lengthMin", "int"],
  SECURITY_PASSWORD_COMPLEXITY_CHECKER: ["password.complexityChecker", "nullable-string"],
  SECURITY_ZXCVBN_MINIMUM_SCORE: ["password.zxcvbnMinimumScore", "int"],
  SECURITY_PASSWORD_CHECK_BREACHED: ["password.checkBreached", "nullable-string"],
  SECURITY_PASSWORD_BREACHED_COUNT: ["password.breachedCount", "int"],
  RAMPART_PASSWORD_BREACHED_API: ["password.breachedApiBaseUrl", "string"],
  RAMPART_PASSWORD_BREACHED_TIMEOUT_MS: ["password.breachedTimeoutMs", "int"],
  RAMPART_ARGON2_MEMORY_COST: ["password.argon2.memoryCost", "int"],
  RAMPART_ARGON2_TIME_COST: ["password.argon2.timeCost", "int"],
  RAMPART_ARGON2_PARALLELISM: ["password.argon2.parallelism", "int"],
  RAMPART_BCRYPT_COST: ["password.bcryptCost", "int"],
  RAMPART_MAX_CONCURRENT_HASHES: ["password.maxConcurrentHashes", "int"],
  RAMPART_MAX_HASH_QUEUE: ["password.maxHashQueue", "int"],
  SESSION_COOKIE_NAME: ["session.cookieName", "string"],
  SESSION_COOKIE_SECURE: ["session.cookieSecure", "bool"],
  SESSION_COOKIE_SAMESITE: ["session.cookieSameSite", "string"],
  RAMPART_SESSION_IDLE_TIMEOUT: ["session.idleTimeoutSeconds", "int"],
  RAMPART_SESSION_ABSOLUTE_TIMEOUT: ["session.absoluteTimeoutSeconds", "int"],
  RAMPART_SESSION_CLEANUP_INTERVAL: ["session.cleanupIntervalSeconds", "int"],
  REMEMBER_COOKIE_NAME: ["session.rememberCookieName", "string"],
  REMEMBER_COOKIE_DURATION: ["session.rememberDurationSeconds", "int"],
  SECURITY_TOKEN_AUTHENTICATION_HEADER: ["token.header", "string"],
  SECURITY_TOKEN_AUTHENTICATION_KEY: ["token.key", "string"],
  SECURITY_TOKEN_MAX_AGE: ["token.maxAgeSeconds", "int"],
  SECURITY_BACKWARDS_COMPAT_AUTH_TOKEN: ["token.backwardsCompat", "bool"],
  SECURITY_FRESHNESS_ALLOW_AUTH_TOKEN: ["token.freshnessAllowAuthToken", "bool"],
  WTF_CSRF_ENABLED: ["csrf.enabled", "bool"],
  WTF_CSRF_TIME_LIMIT: ["csrf.timeLimitSeconds", "int"],
  SECURITY_CSRF_PROTECT_MECHANISMS: ["csrf.protectMechanisms", "list"],
  SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS: ["csrf.ignoreUnauthEndpoints", "bool"],
  SECURITY_CSRF_COOKIE_NAME: ["csrf.cookieName", "nullable-string"],
  SECURITY_CSRF_HEADER: ["csrf.header", "string"],
  SECURITY_LOGOUT_CSRF: ["csrf.logoutCsrf", "bool"],
  RAMPART_CSRF_CHECK_ORIGIN: ["csrf.checkOrigin", "bool"],
  RAMPART_CSRF_TRUSTED_ORIGINS: ["csrf.trustedOrigins", "list"],
  SECURITY_FRESHNESS: ["freshness.withinSeconds", "int"],
  SECURITY_FRESHNESS_GRACE_PERIOD: ["freshness.gracePeriodSeconds", "int"],
};

/** Reverse lookup so validation errors can name the environment variable the user set. */
export const envNameForPath: Record<string, string> = Object.fromEntries(
  Object.entries(envMap).map(([env, [p]]) => [p, env]),
);

/** The core map plus every feature slice's names (paths prefixed with the slice key). */
export function fullEnvMap(slices: readonly ConfigSlice[]): Record<string, [string, Kind]> {
  const map: Record<string, [string, Kind]> = { ...envMap };
  for (const slice of slices) {
    for (const [name, [path, kind]] of Object.entries(slice.env)) map[name] = [`${slice.key}.${path}`, kind];
  }
  return map;
}

export function envNameFor(path: string, slices: readonly ConfigSlice[]): string | undefined {
  return Object.entries(fullEnvMap(slices)).find(([, [p]]) => p === path)?.[0];
}

export interface EnvParseResult {
  config: RampartConfigInput;
  issues: { key: string; message: string }[];
}

function convert(raw: string, kind: Kind): { ok: true; value: unknown } | { ok: false; message: string } {
  const text = raw.trim();
  switch (kind) {
    case "string":
      return { ok: true, value: raw };
    case "nullable-string":
      return { ok: true, value: text === "" || text.toLowerCase() === "none" ? null : raw };
    case "bool":
      if (/^(1|true|yes|on)$/i.test(text)) return { ok: true, value: true };
      if (/^(0|false|no|off)$/i.test(text)) return { ok: true, value: false };
      return { ok: false, message: `expected true/false, got "${raw}"` };
    case "int":
      if (!/^-?\d+$/.test(text)) return { ok: false, message: `expected a whole number, got "${raw}"` };
      return { ok: true, value: Number(text) };
    case "list":
      if (text.startsWith("[")) {
        try {
          const v: unknown = JSON.parse(text);
          if (Array.isArray(v) && v.every((x) => typeof x === "string")) return { ok: true, value: v };
        } catch {
          /* fall through */
        }
        return { ok: false, message: "expected a JSON list of strings or comma-separated text" };
      }
      return { ok: true, value: text === "" ? [] : text.split(",").map((s) => s.trim()).filter(Boolean) };
    case "json":
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch {
        return { ok: false, message: "expected JSON" };
      }
  }
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** Reads every known variable from `env`; unknown SECURITY_* names are reported so typos surface. */
export function configFromEnv(
  env: Record<string, string | undefined>,
  extraKnown: string[] = [],
  slices: readonly ConfigSlice[] = [],
): EnvParseResult {
  const config: Record<string, unknown> = {};
  const issues: EnvParseResult["issues"] = [];
  const map = fullEnvMap(slices);
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined) continue;
    const entry = map[name];
    if (!entry) {
      if (name.startsWith("SECURITY_") && !extraKnown.includes(name)) {
        issues.push({ key: name, message: "unknown setting (not supported by Rampart yet, or misspelled)" });
      }
      continue;
    }
    const converted = convert(raw, entry[1]);
    if (converted.ok) setPath(config, entry[0], converted.value);
    else issues.push({ key: name, message: converted.message });
  }
  return { config: config as RampartConfigInput, issues };
}
