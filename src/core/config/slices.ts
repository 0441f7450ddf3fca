import { z } from "zod";
import { key } from "./declare.js";
import { databaseSlice, redisSlice } from "./dependency-slice.js";
import { passwordSlice } from "./password-slice.js";
import { rateLimitSlice } from "./rate-limit-slice.js";
import { clockSlice } from "./clock-slice.js";
import { corsSlice, headersSlice } from "./headers-slice.js";
import { parseCidr } from "../http/client-ip.js";
import { lockoutSlice } from "./lockout-slice.js";
import { jwtSlice } from "./jwt-slice.js";
import type { SliceInputs } from "./slice.js";

/**
 * The core config slices. Each is a strict zod object (an unknown key is an error naming it) with every default
 * filled in, each key declared once with its environment name and meaning (see ./declare.ts); the whole
 * config is their union plus the features' slices, validated once at startup (see ./index.ts).
 */
const seconds = z.number().int().positive();
const path = z.string().startsWith("/");
const mechanism = z.enum(["session", "token", "basic"]);

export const coreSlice = z.strictObject({
  secretKey: key(z.string().min(1).optional(), {
    env: "SECRET_KEY",
    doc: "Signs every token (auth tokens, remember cookies, CSRF tokens); each purpose uses its own derived key. Required outside development; at least 32 random bytes.",
  }),
  secretKeyFallbacks: key(z.array(z.string().min(1)).default([]), {
    env: "SECRET_KEY_FALLBACKS",
    doc: "Previous secret keys, accepted for verification only, so a key can be rotated without signing everyone out.",
  }),
  development: key(z.boolean().default(false), {
    env: "RAMPART_DEVELOPMENT",
    doc: "Development mode: a missing SECRET_KEY is generated (and persisted by the server), cookies are not Secure and drop the __Host- prefix so plain http://localhost works.",
  }),
  appName: key(z.string().default("Rampart"), { env: "RAMPART_APP_NAME", doc: "Name shown in page titles." }),
  urlPrefix: key(
    z
      .string()
      .regex(/^(\/[^/].*[^/]|\/[^/]|)$/, "must be empty or a path like /auth without trailing slash")
      .default(""),
    {
      env: "SECURITY_URL_PREFIX",
      doc: "Mount point of every Rampart route (e.g. /auth).",
      noneIsDefault: true,
    },
  ),
  baseUrl: key(z.url().optional(), {
    env: "RAMPART_BASE_URL",
    doc: "Public origin of the app (https://app.example): used for the Origin check and emailed links instead of the request's Host.",
  }),
  returnGenericResponses: key(z.boolean().default(true), {
    env: "SECURITY_RETURN_GENERIC_RESPONSES",
    doc: "One generic message for every sign-in failure (no user enumeration). Rampart default on; FS default off.",
  }),
  apiEnabledMethods: key(z.array(mechanism).default(["session", "token"]), {
    env: "SECURITY_API_ENABLED_METHODS",
    doc: "Mechanisms Rampart's own authenticated endpoints accept (session, token, basic).",
  }),
  defaultRememberMe: key(z.boolean().default(false), {
    env: "SECURITY_DEFAULT_REMEMBER_ME",
    doc: "Default of the `remember` field at login.",
  }),
  httpAuthRealm: key(z.string().default("Login Required"), {
    env: "SECURITY_DEFAULT_HTTP_AUTH_REALM",
    doc: "Realm sent in WWW-Authenticate for HTTP basic.",
  }),
  maxBodyBytes: key(
    z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    {
      env: "RAMPART_MAX_BODY_BYTES",
      doc: "Largest accepted request body; larger ones get 413 without being read.",
    },
  ),
  trustedProxies: key(
    z
      .array(
        z
          .string()
          .refine((entry) => parseCidr(entry) !== null, "must be an IP address or a CIDR (10.0.0.0/8, 2001:db8::/32)"),
      )
      .default([]),
    {
      env: "TRUSTED_PROXIES",
      doc: "Addresses or CIDRs (IPv4 and IPv6) of the reverse proxies in front of the app. Only a request whose socket peer is one of them has its forwarding header read, walked from the right past trusted hops. Empty (default): the socket address is the client IP and forwarding headers are ignored.",
    },
  ),
  trustedProxyHeader: key(z.enum(["x-forwarded-for", "forwarded", "x-real-ip"]).default("x-forwarded-for"), {
    env: "TRUSTED_PROXY_HEADER",
    doc: "The one forwarding header your proxies write (x-forwarded-for, forwarded (RFC 7239) or x-real-ip); the others are ignored, since a proxy passes unknown headers through unchanged.",
  }),
  trackable: key(z.boolean().default(false), {
    env: "SECURITY_TRACKABLE",
    doc: "Record last/current login time and IP and a login count on the user (FS TRACKABLE).",
  }),
  messages: key(z.record(z.string(), z.string()).default({}), {
    env: "SECURITY_MESSAGES",
    doc: "Overrides of user-facing texts, keyed by message code (INVALID_PASSWORD, …).",
  }),
});

export const urlsSlice = z
  .strictObject({
    login: key(path.default("/login"), { env: "SECURITY_LOGIN_URL", doc: "Login endpoint and page." }),
    logout: key(path.default("/logout"), { env: "SECURITY_LOGOUT_URL", doc: "Logout endpoint." }),
    verify: key(path.default("/verify"), { env: "SECURITY_VERIFY_URL", doc: "Re-authentication endpoint and page." }),
    sessions: key(path.default("/sessions"), {
      env: "SECURITY_SESSIONS_URL",
      doc: "Session listing endpoint and page.",
    }),
    revokeSessions: key(path.default("/sessions/revoke"), { doc: "Session revocation endpoint." }),
    postLoginView: key(z.string().default("/"), {
      env: "SECURITY_POST_LOGIN_VIEW",
      doc: "Where browsers go after signing in when no valid `next` was given.",
    }),
    postLogoutView: key(z.string().default("/"), {
      env: "SECURITY_POST_LOGOUT_VIEW",
      doc: "Where browsers go after signing out.",
    }),
    postVerifyView: key(z.string().nullable().default(null), {
      env: "SECURITY_POST_VERIFY_VIEW",
      doc: "Where browsers go after re-authenticating (default: postLoginView).",
    }),
    unauthorizedView: key(z.string().nullable().default(null), {
      env: "SECURITY_UNAUTHORIZED_VIEW",
      doc: "Where HTML callers lacking a role/permission are redirected; null answers a plain 403 page.",
    }),
    redirectBehavior: key(z.enum(["spa"]).nullable().default(null), {
      env: "SECURITY_REDIRECT_BEHAVIOR",
      doc: '"spa" makes emailed-link endpoints (confirm, reset, change-email) and the social sign-in returns redirect to the configured UI views with query parameters instead of rendering pages.',
    }),
    redirectHost: key(z.string().nullable().default(null), {
      env: "SECURITY_REDIRECT_HOST",
      doc: "Host[:port] on which path-only SPA views are placed (a UI served elsewhere in development).",
    }),
    signInLinksOnGet: key(z.boolean().default(false), {
      env: "RAMPART_SIGNIN_LINKS_ON_GET",
      doc: "Opening a magic link (or a confirmation link with autoLoginAfterConfirm) signs in on the GET itself, as Flask-Security does. Off (the default): the GET signs nobody in and spends nothing — a page's button (or, in SPA mode, the SPA) completes it with a same-origin POST, so a link sent by someone else cannot sign your browser into their account, and mail scanners that prefetch links do not use them up.",
    }),
    logoutMethods: key(z.array(z.enum(["GET", "POST"])).default(["POST"]), {
      env: "SECURITY_LOGOUT_METHODS",
      doc: "HTTP methods of the logout endpoint; an empty list removes it.",
    }),
  })
  .prefault({});

export const redirectSlice = z
  .strictObject({
    serverName: key(z.string().nullable().default(null), {
      env: "SERVER_NAME",
      doc: "The app's host name (FS SERVER_NAME), for the subdomain redirect rule.",
    }),
    allowSubdomains: key(z.boolean().default(false), {
      env: "SECURITY_REDIRECT_ALLOW_SUBDOMAINS",
      doc: "Allow `next` targets on subdomains of serverName.",
    }),
    baseDomain: key(z.string().nullable().default(null), {
      env: "SECURITY_REDIRECT_BASE_DOMAIN",
      doc: "Base domain for the explicit subdomain allow-list.",
    }),
    allowedSubdomains: key(z.array(z.string()).default([]), {
      env: "SECURITY_REDIRECT_ALLOWED_SUBDOMAINS",
      doc: 'Subdomains of baseDomain allowed as `next` targets; "." admits the base domain itself.',
    }),
  })
  .prefault({});

export const usernameSlice = z
  .strictObject({
    enable: key(z.boolean().default(false), {
      env: "SECURITY_USERNAME_ENABLE",
      doc: "Users may have a username and sign in with it.",
    }),
    required: key(z.boolean().default(false), {
      env: "SECURITY_USERNAME_REQUIRED",
      doc: "Registration requires a username.",
    }),
    minLength: key(z.number().int().min(1).default(4), {
      env: "SECURITY_USERNAME_MIN_LENGTH",
      doc: "Shortest username.",
    }),
    maxLength: key(z.number().int().min(1).default(32), {
      env: "SECURITY_USERNAME_MAX_LENGTH",
      doc: "Longest username.",
    }),
  })
  .prefault({});

export const sessionSlice = z
  .strictObject({
    cookieName: key(z.string().min(1).nullable().default(null), {
      env: "SESSION_COOKIE_NAME",
      doc: "Session cookie name (default __Host-rampart_session, or rampart_session when cookies are not Secure).",
    }),
    cookieSecure: key(z.boolean().nullable().default(null), {
      env: "SESSION_COOKIE_SECURE",
      doc: "Secure flag on auth cookies (default: on outside development).",
    }),
    cookieSameSite: key(z.enum(["Strict", "Lax"]).default("Lax"), {
      env: "SESSION_COOKIE_SAMESITE",
      doc: "SameSite of the session and remember cookies.",
    }),
    idleTimeoutSeconds: key(seconds.default(60 * 60), {
      env: "RAMPART_SESSION_IDLE_TIMEOUT",
      doc: "A session ends after this long without a request.",
    }),
    absoluteTimeoutSeconds: key(seconds.default(24 * 60 * 60), {
      env: "RAMPART_SESSION_ABSOLUTE_TIMEOUT",
      doc: "A session ends this long after sign-in, whatever the activity.",
    }),
    // Written at most this often: a write per request would be a hot-path cost.
    touchIntervalSeconds: key(z.number().int().min(0).default(60), {
      doc: "Last activity is written at most this often (avoids a database write per request).",
    }),
    outageReadMaxAgeSeconds: key(
      z
        .number()
        .int()
        .min(0)
        .default(15 * 60),
      {
        env: "RAMPART_SESSION_OUTAGE_READ_MAX_AGE",
        doc: "With Redis sessions, while the database is down, a signed-in user keeps read access (GET/HEAD) to guarded routes if the user data kept with the session was refreshed from the database within this many seconds (0: none).",
      },
    ),
    cleanupIntervalSeconds: key(z.number().int().min(0).default(600), {
      env: "RAMPART_SESSION_CLEANUP_INTERVAL",
      doc: "How often expired sessions are swept from the store (0 disables).",
    }),
    rememberCookieName: key(z.string().min(1).nullable().default(null), {
      env: "REMEMBER_COOKIE_NAME",
      doc: "Remember-me cookie name (default __Host-remember_token, or remember_token when cookies are not Secure; set remember_token to keep Flask-Login's name).",
    }),
    rememberDurationSeconds: key(seconds.default(30 * 24 * 60 * 60), {
      env: "REMEMBER_COOKIE_DURATION",
      doc: "Lifetime of the remember-me cookie.",
    }),
  })
  .prefault({});

export const tokenSlice = z
  .strictObject({
    header: key(z.string().min(1).default("Authentication-Token"), {
      env: "SECURITY_TOKEN_AUTHENTICATION_HEADER",
      doc: "Request header carrying an auth token.",
    }),
    key: key(z.string().min(1).default("auth_token"), {
      env: "SECURITY_TOKEN_AUTHENTICATION_KEY",
      doc: "Query parameter and JSON body key carrying an auth token.",
    }),
    bearer: key(z.boolean().default(true), {
      env: "RAMPART_TOKEN_BEARER",
      doc: "Accept the auth token as `Authorization: Bearer <token>` (RFC 6750) wherever the token header is accepted.",
    }),
    queryString: key(z.boolean().default(true), {
      env: "RAMPART_TOKEN_QUERY_STRING",
      doc: "Accept the auth token in the query string (`?auth_token=`, as FS). URLs end up in logs, Referer headers and browser history: turn it off unless a client needs it.",
    }),
    maxAgeSeconds: key(seconds.default(15 * 60), {
      env: "SECURITY_TOKEN_MAX_AGE",
      doc: "Auth token lifetime; must be positive (FS's 0 = never is refused).",
    }),
    backwardsCompat: key(z.boolean().default(false), {
      env: "SECURITY_BACKWARDS_COMPAT_AUTH_TOKEN",
      doc: "Return an auth token from every authenticating POST, without ?include_auth_token.",
    }),
    freshnessAllowAuthToken: key(z.boolean().default(true), {
      env: "SECURITY_FRESHNESS_ALLOW_AUTH_TOKEN",
      doc: "A token's authentication time may satisfy freshness checks.",
    }),
    format: key(z.enum(["opaque", "jwt"]).default("opaque"), {
      env: "SECURITY_TOKEN_FORMAT",
      doc: "Format of new access tokens: Rampart's signed opaque token, or a JWT other services verify with the published keys (see token.jwt). Both formats are accepted whatever this says.",
    }),
    jwt: jwtSlice,
  })
  .prefault({});

export const csrfSlice = z
  .strictObject({
    enabled: key(z.boolean().default(true), { env: "WTF_CSRF_ENABLED", doc: "CSRF protection on (WTF_CSRF_ENABLED)." }),
    protectMechanisms: key(z.array(mechanism).default(["basic", "session", "token"]), {
      env: "SECURITY_CSRF_PROTECT_MECHANISMS",
      doc: "Authenticated mechanisms whose unsafe requests need a CSRF token.",
    }),
    exemptCookielessTokens: key(z.boolean().default(true), {
      env: "RAMPART_CSRF_EXEMPT_COOKIELESS_TOKENS",
      doc: "A caller authenticated by an access token whose request carries no session or remember cookie is not asked for a CSRF token (a token the client adds itself is not a credential a forged request can ride on). Off: CSRF_PROTECT_MECHANISMS decides, as FS.",
    }),
    exemptCookielessJson: key(z.boolean().default(true), {
      env: "RAMPART_CSRF_EXEMPT_COOKIELESS_JSON",
      doc: "An anonymous JSON request to a login-type endpoint (sign-in, registration, reset…) that carries no cookie at all is not asked for a CSRF token: API clients without cookies cannot hold one, and browsers cannot send cross-origin JSON without a CORS preflight. Off: only CSRF_IGNORE_UNAUTH_ENDPOINTS lifts it, as FS.",
    }),
    ignoreUnauthEndpoints: key(z.boolean().default(false), {
      env: "SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS",
      doc: "Anonymous calls to login-type endpoints skip CSRF (for clients without cookies).",
    }),
    cookieName: key(z.string().min(1).nullable().default(null), {
      env: "SECURITY_CSRF_COOKIE_NAME",
      doc: "Opt-in readable cookie carrying the CSRF token for SPAs (e.g. XSRF-TOKEN).",
    }),
    header: key(z.string().min(1).default("X-XSRF-Token"), {
      env: "SECURITY_CSRF_HEADER",
      doc: "Extra request header accepted for the CSRF token (besides X-CSRF-Token and X-CSRFToken).",
    }),
    timeLimitSeconds: key(seconds.default(3600), { env: "WTF_CSRF_TIME_LIMIT", doc: "CSRF token lifetime." }),
    logoutCsrf: key(z.boolean().default(true), {
      env: "SECURITY_LOGOUT_CSRF",
      doc: "Logout needs a CSRF token (Rampart default on; FS default off).",
    }),
    checkOrigin: key(z.boolean().default(true), {
      env: "RAMPART_CSRF_CHECK_ORIGIN",
      doc: "Refuse unsafe browser requests whose Origin or Sec-Fetch-Site is cross-site (403).",
    }),
    trustedOrigins: key(z.array(z.string()).default([]), {
      env: "RAMPART_CSRF_TRUSTED_ORIGINS",
      doc: "Extra origins treated as same-site by the Origin check.",
    }),
  })
  .prefault({});

export const freshnessSlice = z
  .strictObject({
    withinSeconds: key(
      z
        .number()
        .int()
        .default(24 * 60 * 60),
      {
        env: "SECURITY_FRESHNESS",
        doc: "How recent the primary authentication must be for fresh-only actions; negative disables freshness and removes /verify.",
      },
    ),
    gracePeriodSeconds: key(
      z
        .number()
        .int()
        .min(0)
        .default(60 * 60),
      {
        env: "SECURITY_FRESHNESS_GRACE_PERIOD",
        doc: "Each passing freshness check (a recent sign-in, or a live grace period) starts a grace period this long, during which later checks pass too (session callers only, as FS). 0 turns it off.",
      },
    ),
  })
  .prefault({});

export { passwordSlice };

export const configSchema = coreSlice.extend({
  urls: urlsSlice,
  redirect: redirectSlice,
  username: usernameSlice,
  password: passwordSlice,
  session: sessionSlice,
  token: tokenSlice,
  csrf: csrfSlice,
  freshness: freshnessSlice,
  rateLimit: rateLimitSlice,
  clock: clockSlice,
  headers: headersSlice,
  cors: corsSlice,
  database: databaseSlice,
  redis: redisSlice,
  lockout: lockoutSlice,
});

/** What an app passes: the core keys and every registered feature slice, all typed; an unknown key does not compile. */
export type RampartConfigInput = z.input<typeof configSchema> & SliceInputs;
type Parsed = z.output<typeof configSchema>;
/** The resolved, frozen configuration features read. secretKey is always present after resolution. */
export type RampartConfig = Readonly<Omit<Parsed, "secretKey"> & { secretKey: string }> & {
  readonly session: Parsed["session"] & { cookieName: string; cookieSecure: boolean; rememberCookieName: string };
};
