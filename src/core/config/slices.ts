import { z } from "zod";

/**
 * Config slices. Each slice is a zod object with every default filled in; the whole config is their union,
 * validated once at startup (see ./index.ts). Features own their slice and its environment names (FS names).
 */
const seconds = z.number().int().positive();
const path = z.string().startsWith("/");
const mechanism = z.enum(["session", "token", "basic"]);

export const coreSlice = z.object({
  /** Signs every token (each purpose has its own derived key). Required outside development. */
  secretKey: z.string().min(1).optional(),
  /** Old secrets still accepted for verification during rotation. */
  secretKeyFallbacks: z.array(z.string().min(1)).default([]),
  /** Development mode: a generated secret is allowed and cookies may be sent over plain http. */
  development: z.boolean().default(false),
  appName: z.string().default("Rampart"),
  /** Mount point of every Rampart route, e.g. "/auth". */
  urlPrefix: z.string().regex(/^(\/[^/].*[^/]|\/[^/]|)$/, "must be empty or a path like /auth without trailing slash").default(""),
  /** Public origin (https://app.example) used for emailed links and the Origin check; else taken from the request. */
  baseUrl: z.url().optional(),
  /** Anti-enumeration mode: one generic message for every login failure. Rampart default: on. */
  returnGenericResponses: z.boolean().default(true),
  /** Mechanisms Rampart's own authenticated endpoints accept. */
  apiEnabledMethods: z.array(mechanism).default(["session", "token"]),
  defaultRememberMe: z.boolean().default(false),
  httpAuthRealm: z.string().default("Login Required"),
  /** Largest accepted request body, in bytes (413 above). */
  maxBodyBytes: z.number().int().positive().default(64 * 1024),
  /** How many reverse proxies in front of the app; their X-Forwarded-For entries are trusted. 0 = none. */
  trustedProxyCount: z.number().int().min(0).default(0),
  trackable: z.boolean().default(false),
  /** Message text overrides keyed by message key (INVALID_PASSWORD, ...). */
  messages: z.record(z.string(), z.string()).default({}),
});

export const urlsSlice = z
  .object({
    login: path.default("/login"),
    logout: path.default("/logout"),
    verify: path.default("/verify"),
    sessions: path.default("/sessions"),
    revokeSessions: path.default("/sessions/revoke"),
    postLoginView: z.string().default("/"),
    postLogoutView: z.string().default("/"),
    postVerifyView: z.string().nullable().default(null),
    /** Where HTML callers lacking a role go; null answers a plain 403 page. */
    unauthorizedView: z.string().nullable().default(null),
    /** "spa": emailed-link endpoints redirect to the *_VIEW UI routes with query parameters. */
    redirectBehavior: z.enum(["spa"]).nullable().default(null),
    /** Host (and port) that path-only SPA views are placed on, e.g. "localhost:8080". */
    redirectHost: z.string().nullable().default(null),
    /** A GET of a sign-in link (magic link, confirmation link with auto-login) signs in, as FS. Off: a POST does. */
    signInLinksOnGet: z.boolean().default(false),
    /** HTTP methods of /logout; an empty list removes the route. */
    logoutMethods: z.array(z.enum(["GET", "POST"])).default(["POST"]),
  })
  .prefault({});

export const redirectSlice = z
  .object({
    serverName: z.string().nullable().default(null),
    allowSubdomains: z.boolean().default(false),
    baseDomain: z.string().nullable().default(null),
    allowedSubdomains: z.array(z.string()).default([]),
  })
  .prefault({});

export const usernameSlice = z
  .object({
    enable: z.boolean().default(false),
    required: z.boolean().default(false),
    minLength: z.number().int().min(1).default(4),
    maxLength: z.number().int().min(1).default(32),
  })
  .prefault({});

export const passwordSlice = z
  .object({
    hash: z.enum(["argon2", "bcrypt"]).default("argon2"),
    argon2: z
      .object({
        memoryCost: z.number().int().min(8).default(19456),
        timeCost: z.number().int().min(1).default(2),
        parallelism: z.number().int().min(1).default(1),
      })
      .prefault({}),
    bcryptCost: z.number().int().min(4).max(31).default(12),
    /** FS SECURITY_PASSWORD_SALT: HMAC pre-hash ("double hash") key. */
    salt: z.string().min(1).nullable().default(null),
    normalizeForm: z.enum(["NFKD", "NFKC", "NFD", "NFC"]).nullable().default("NFKD"),
    lengthMin: z.number().int().min(1).default(8),
    lengthMax: z.number().int().min(8).max(1024).default(128),
    /** "zxcvbn" scores new passwords (with the user's email/username as context); null = off. */
    complexityChecker: z.enum(["zxcvbn"]).nullable().default(null),
    zxcvbnMinimumScore: z.number().int().min(0).max(4).default(3),
    /** Breached-password check (k-anonymity range API): null = off, "strict" fails when unreachable, "best-effort" passes. */
    checkBreached: z.enum(["strict", "best-effort"]).nullable().default(null),
    breachedCount: z.number().int().min(1).default(1),
    breachedApiBaseUrl: z.url().default("https://api.pwnedpasswords.com"),
    breachedTimeoutMs: z.number().int().min(100).default(3000),
    maxConcurrentHashes: z.number().int().min(1).default(2),
    maxHashQueue: z.number().int().min(1).default(256),
  })
  .prefault({});

export const sessionSlice = z
  .object({
    /** Defaults to "__Host-rampart_session" (or "rampart_session" when cookies are not Secure). */
    cookieName: z.string().min(1).nullable().default(null),
    cookieSecure: z.boolean().nullable().default(null),
    cookieSameSite: z.enum(["Strict", "Lax"]).default("Lax"),
    /** Ends a session after this long without a request. */
    idleTimeoutSeconds: seconds.default(60 * 60),
    /** Ends a session this long after sign-in, whatever the activity. */
    absoluteTimeoutSeconds: seconds.default(24 * 60 * 60),
    /** last_active_at is written at most this often (a write per request would be a hot-path cost). */
    touchIntervalSeconds: z.number().int().min(0).default(60),
    /** How often expired sessions are swept from the store (0 disables the timer). */
    cleanupIntervalSeconds: z.number().int().min(0).default(600),
    /** Defaults to "__Host-remember_token" (or "remember_token" when cookies are not Secure). */
    rememberCookieName: z.string().min(1).nullable().default(null),
    rememberDurationSeconds: seconds.default(30 * 24 * 60 * 60),
  })
  .prefault({});

export const tokenSlice = z
  .object({
    header: z.string().min(1).default("Authentication-Token"),
    key: z.string().min(1).default("auth_token"),
    /** Must be positive: FS's 0 ("never") is refused. */
    maxAgeSeconds: seconds.default(15 * 60),
    /** Return a token on every authenticating POST even without ?include_auth_token. */
    backwardsCompat: z.boolean().default(false),
    freshnessAllowAuthToken: z.boolean().default(true),
  })
  .prefault({});

export const csrfSlice = z
  .object({
    enabled: z.boolean().default(true),
    protectMechanisms: z.array(mechanism).default(["basic", "session", "token"]),
    ignoreUnauthEndpoints: z.boolean().default(false),
    /** Opt-in readable cookie carrying the CSRF token for SPAs (FS CSRF_COOKIE_NAME). */
    cookieName: z.string().min(1).nullable().default(null),
    header: z.string().min(1).default("X-XSRF-Token"),
    timeLimitSeconds: seconds.default(3600),
    /** Require a CSRF token on logout too (Rampart default on; FS default off). */
    logoutCsrf: z.boolean().default(true),
    /** Refuse unsafe requests whose Origin or Sec-Fetch-Site says cross-site. */
    checkOrigin: z.boolean().default(true),
    /** Extra origins (scheme://host[:port]) treated as same-site by the Origin check. */
    trustedOrigins: z.array(z.string()).default([]),
  })
  .prefault({});

export const freshnessSlice = z
  .object({
    /** Negative disables freshness checks and removes /verify. */
    withinSeconds: z.number().int().default(24 * 60 * 60),
    gracePeriodSeconds: z.number().int().min(0).default(60 * 60),
  })
  .prefault({});

export const configSchema = coreSlice.extend({
  urls: urlsSlice,
  redirect: redirectSlice,
  username: usernameSlice,
  password: passwordSlice,
  session: sessionSlice,
  token: tokenSlice,
  csrf: csrfSlice,
  freshness: freshnessSlice,
});

/** Core keys are typed; feature slices (registration, mail, …) are keyed by their slice name. */
export type RampartConfigInput = z.input<typeof configSchema> & { [slice: string]: unknown };
type Parsed = z.output<typeof configSchema>;
/** The resolved, frozen configuration features read. secretKey is always present after resolution. */
export type RampartConfig = Readonly<Omit<Parsed, "secretKey"> & { secretKey: string }> & {
  readonly session: Parsed["session"] & { cookieName: string; cookieSecure: boolean; rememberCookieName: string };
};
