/**
 * Checks of a resolved configuration alone: settings that weaken a production deployment. Thresholds follow the
 * guidance the defaults come from (OWASP session and password-storage cheat sheets, NIST 800-63B).
 */
import type { RampartConfig } from "../../core/config/index.js";
import type { Finding } from "./findings.js";

export interface DeploymentFacts {
  /** How many instances serve this configuration (`--instances`); 1 when unknown. */
  instances: number;
  /** REDIS_URL is set (sessions in Redis: a deployment meant for several instances). */
  redisSessions: boolean;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

export function configFindings(config: RampartConfig, facts: DeploymentFacts): Finding[] {
  const out: Finding[] = [];
  const add = (f: Finding) => out.push(f);

  if (config.development)
    add({
      severity: "error",
      id: "development-mode",
      subject: "development (RAMPART_DEVELOPMENT / NODE_ENV)",
      message: "development mode is on: cookies are not Secure and mail may be written to the log",
      fix: "unset RAMPART_DEVELOPMENT and NODE_ENV=development in production",
    });
  if (!config.session.cookieSecure)
    add({
      severity: "error",
      id: "cookie-not-secure",
      subject: "session.cookieSecure (SESSION_COOKIE_SECURE)",
      message: "session and remember cookies are sent without Secure: any plain-http request leaks them",
      fix: "serve over https and leave SESSION_COOKIE_SECURE unset (Secure by default outside development)",
    });
  if (config.token.maxAgeSeconds > DAY)
    add({
      severity: config.token.maxAgeSeconds > 7 * DAY ? "error" : "warning",
      id: "token-lifetime",
      subject: "token.maxAgeSeconds (SECURITY_TOKEN_MAX_AGE)",
      message: `authentication tokens live ${humanSeconds(config.token.maxAgeSeconds)}; a stolen one works that long`,
      fix: "keep bearer tokens short (the default is 15 minutes)",
    });
  // Whatever API_ENABLED_METHODS says, an app's guards may still take tokens: the query switch alone decides.
  if (config.token.queryString)
    add({
      severity: "warning",
      id: "token-query-string",
      subject: "token.queryString (RAMPART_TOKEN_QUERY_STRING)",
      message:
        "auth tokens are accepted in the query string (?auth_token=): URLs end up in server and proxy logs, Referer headers and browser history",
      fix: "send tokens as Authorization: Bearer (or the Authentication-Token header) and set RAMPART_TOKEN_QUERY_STRING=false",
    });
  if (config.apiEnabledMethods.includes("token") && !config.token.bearer)
    add({
      severity: "info",
      id: "token-bearer-off",
      subject: "token.bearer (RAMPART_TOKEN_BEARER)",
      message: "Authorization: Bearer is not accepted: OAuth-style clients and libraries will get 401",
      fix: "leave RAMPART_TOKEN_BEARER on unless another layer owns the Authorization header",
    });
  if (config.session.absoluteTimeoutSeconds > 7 * DAY)
    add({
      severity: "warning",
      id: "session-lifetime",
      subject: "session.absoluteTimeoutSeconds (RAMPART_SESSION_ABSOLUTE_TIMEOUT)",
      message: `a session lives up to ${humanSeconds(config.session.absoluteTimeoutSeconds)} whatever its use`,
      fix: "use remember-me for long sign-ins and keep sessions to a day or less",
    });
  if (config.session.idleTimeoutSeconds > DAY)
    add({
      severity: "warning",
      id: "session-idle",
      subject: "session.idleTimeoutSeconds (RAMPART_SESSION_IDLE_TIMEOUT)",
      message: `an unused session stays valid ${humanSeconds(config.session.idleTimeoutSeconds)}`,
      fix: "an idle timeout of an hour or less (the default is 1 hour)",
    });
  if (config.session.rememberDurationSeconds > 90 * DAY)
    add({
      severity: "warning",
      id: "remember-lifetime",
      subject: "session.rememberDurationSeconds (REMEMBER_COOKIE_DURATION)",
      message: `remember-me lasts ${humanSeconds(config.session.rememberDurationSeconds)}`,
      fix: "90 days or less (the default is 30 days)",
    });
  if (!config.csrf.enabled)
    add({
      severity: "error",
      id: "csrf-disabled",
      subject: "csrf.enabled (WTF_CSRF_ENABLED)",
      message: "CSRF protection is off: another site can make a signed-in browser post to Rampart",
      fix: "leave WTF_CSRF_ENABLED on",
    });
  if (!config.baseUrl)
    add({
      severity: "warning",
      id: "host-derived-links",
      subject: "baseUrl (RAMPART_BASE_URL)",
      message:
        "links in mail (reset, confirmation, sign-in) are built from each request's Host header; a forged Host sends users a link to someone else's server",
      fix: "set RAMPART_BASE_URL to the public https address of the app",
    });
  else if (config.baseUrl.startsWith("http:") && !config.development)
    add({
      severity: "warning",
      id: "plain-http-base-url",
      subject: "baseUrl (RAMPART_BASE_URL)",
      message: "the base URL of mailed links is plain http",
      fix: "use the https address",
    });
  if (config.baseUrl?.startsWith("https:") && config.trustedProxies.length === 0)
    add({
      severity: "info",
      id: "no-trusted-proxy",
      subject: "trustedProxies (TRUSTED_PROXIES)",
      message:
        "no proxy is trusted: behind a load balancer or TLS terminator every client has the proxy's address, so per-source limits and audit rows see one client",
      fix: "behind a proxy, list its addresses in TRUSTED_PROXIES (and TRUSTED_PROXY_HEADER)",
    });

  if (config.headers.hsts === false && !config.development)
    add({
      severity: "warning",
      id: "hsts-off",
      subject: "headers.hsts (RAMPART_HSTS)",
      message: "Strict-Transport-Security is never sent: a browser may reach the app over plain http first",
      fix: "leave RAMPART_HSTS unset (sent on https) or true",
    });
  if (config.cors.allowedOrigins.includes("*"))
    add({
      severity: "warning",
      id: "cors-wildcard",
      subject: "cors.allowedOrigins (CORS_ALLOWED_ORIGINS)",
      message: "every site's scripts may call the app (without credentials)",
      fix: "list the single-page apps' exact origins",
    });
  for (const origin of config.cors.allowedOrigins.filter((o) => o.startsWith("http:") && !config.development))
    add({
      severity: "warning",
      id: "cors-plain-http-origin",
      subject: "cors.allowedOrigins (CORS_ALLOWED_ORIGINS)",
      message: `${origin} is plain http: anyone on its network path can run scripts the app trusts`,
      fix: "list https origins only",
    });

  const argon2 = config.password.argon2;
  if (config.password.hash === "argon2" && (argon2.memoryCost < 19456 || argon2.timeCost < 2))
    add({
      severity: "warning",
      id: "weak-password-hash",
      subject: "password.argon2 (RAMPART_ARGON2_*)",
      message: `argon2id m=${argon2.memoryCost} KiB, t=${argon2.timeCost} is below OWASP's minimum (m=19456, t=2)`,
      fix: "keep the defaults or raise them",
    });
  if (config.password.hash === "bcrypt" && config.password.bcryptCost < 10)
    add({
      severity: "warning",
      id: "weak-password-hash",
      subject: "password.bcryptCost (RAMPART_BCRYPT_COST)",
      message: `bcrypt cost ${config.password.bcryptCost} is below OWASP's minimum of 10`,
      fix: "keep the default (12)",
    });

  const several = facts.instances > 1 || facts.redisSessions;
  if (config.rateLimit.store === "memory" && several)
    add({
      severity: facts.instances > 1 ? "error" : "warning",
      id: "memory-rate-limits",
      subject: "rateLimit.store (RATE_LIMIT_STORE)",
      message: `rate-limit and lockout counters are kept in each process's memory${facts.instances > 1 ? ` and ${facts.instances} instances serve` : ", and sessions in Redis suggest several instances"}: each one grants the whole budget, and a restart forgets every lock`,
      fix: 'RATE_LIMIT_STORE=database (default) or "redis"',
    });
  if (config.rateLimit.onStoreFailure === "memory" && several)
    add({
      severity: "info",
      id: "rate-limit-fallback-memory",
      subject: "rateLimit.onStoreFailure (RATE_LIMIT_ON_STORE_FAILURE)",
      message:
        "while the counter store is down each instance counts on its own (budgets multiply by the instance count)",
    });
  return out;
}

export function humanSeconds(seconds: number): string {
  if (seconds % DAY === 0) return `${seconds / DAY} day${seconds === DAY ? "" : "s"}`;
  if (seconds % HOUR === 0) return `${seconds / HOUR} hour${seconds === HOUR ? "" : "s"}`;
  if (seconds % 60 === 0) return `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}
