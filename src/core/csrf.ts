import { z } from "zod";
import { defineCodec } from "./codec.js";
import { randomToken, sha256Hex } from "../crypto/random.js";
import type { RequestContext } from "./context.js";
import type { RampartConfig } from "./config/index.js";
import { hostCookieName } from "./cookie-names.js";
import { isJsonContentType } from "./http/body.js";
import { corsAllowedOrigin } from "./http/cors.js";
import type { Caller } from "./identity.js";
import { sessionCaller } from "./identity.js";
import type { MessageKey } from "./messages.js";

/**
 * CSRF. Tokens are signed (purpose "csrf"), timestamped, and bound to a per-session secret: the session's
 * own for signed-in callers, or a random anonymous binding cookie before sign-in (so login CSRF is covered).
 * Accepted from X-CSRF-Token, X-CSRFToken, the configured header (X-XSRF-Token) or a `csrf_token` field.
 * Unsafe requests from a browser must also pass an Origin / Sec-Fetch-Site check.
 */
/** A CSRF token names (a digest of) the secret of the session or anonymous browser it was issued to. */
const csrfCodec = defineCodec({
  purpose: "csrf",
  maxAgeSeconds: (rt) => rt.config.csrf.timeLimitSeconds,
  wire: z.object({ b: z.string() }),
  encode: (v: { binding: string }) => ({ b: v.binding }),
  decode: (w) => ({ binding: w.b }),
});

function bindingOf(secret: string): string {
  return sha256Hex(secret).slice(0, 32);
}

function anonCookieName(ctx: RequestContext): string {
  return hostCookieName(ctx.rt.config, "rampart_csrf");
}

async function bindingSecret(ctx: RequestContext, create: boolean): Promise<string | null> {
  const caller = await sessionCaller(ctx);
  if (caller?.session) return caller.session.csrfSecret;
  if (ctx.anonCsrfSecret) return ctx.anonCsrfSecret;
  const existing = ctx.cookie(anonCookieName(ctx));
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  if (!create) return null;
  ctx.anonCsrfSecret = randomToken(32);
  ctx.setCookie(anonCookieName(ctx), ctx.anonCsrfSecret, {
    httpOnly: true,
    secure: ctx.rt.config.session.cookieSecure,
    sameSite: "Lax",
    path: "/",
  });
  return ctx.anonCsrfSecret;
}

/** A CSRF token for the current caller (signed-in session or anonymous browser). */
export async function issueCsrfToken(ctx: RequestContext): Promise<string> {
  const secret = (await bindingSecret(ctx, true))!;
  const token = csrfCodec.seal(ctx.rt, { binding: bindingOf(secret) });
  const { cookieName } = ctx.rt.config.csrf;
  if (cookieName) {
    ctx.setCookie(cookieName, token, {
      httpOnly: false,
      secure: ctx.rt.config.session.cookieSecure,
      sameSite: "Strict",
      path: "/",
    });
  }
  return token;
}

/** The request headers a CSRF token is read from (lower case). */
export function csrfHeaderNames(config: RampartConfig): string[] {
  return ["x-csrf-token", "x-csrftoken", config.csrf.header.toLowerCase()];
}

async function presentedCsrfToken(ctx: RequestContext): Promise<string | null> {
  for (const h of csrfHeaderNames(ctx.rt.config)) {
    const v = ctx.request.headers.get(h);
    if (v) return v;
  }
  const body = await ctx.body();
  const field = body.fields.csrf_token;
  return typeof field === "string" && field ? field : null;
}

/**
 * Whether CSRF applies to this caller: by mechanism, or for anonymous callers unless ignored.
 * A CSRF attack rides on credentials the browser adds by itself (cookies, cached Basic). An access token the
 * client puts in each request is not one, and a client without cookies cannot hold a session-bound CSRF token at
 * all: so a token caller whose request carries no session, remember or refresh cookie is not asked for one (unless
 * `csrf.exemptCookielessTokens` is off, as in FS). With any of them attached, the configured rule applies.
 */
export function csrfRequired(ctx: RequestContext, caller: Caller | null, unauthEndpoint: boolean): boolean {
  const { csrf } = ctx.rt.config;
  if (!csrf.enabled) return false;
  if (caller?.mechanism === "token" && csrf.exemptCookielessTokens && !carriesSessionCookies(ctx)) return false;
  if (caller) return csrf.protectMechanisms.includes(caller.mechanism);
  if (unauthEndpoint && csrf.exemptCookielessJson && cookielessJson(ctx)) return false;
  return !(unauthEndpoint && csrf.ignoreUnauthEndpoints);
}

/**
 * An anonymous JSON request without any cookie is an API client signing in (or registering, asking for a reset…):
 * it cannot hold the cookie an anonymous CSRF token is bound to. No browser can forge it: a cross-origin page can
 * send a JSON body only after a CORS preflight Rampart answers for allowed origins alone, and a browser that holds
 * Rampart's cookies sends them, so it stays under the configured rule.
 */
function cookielessJson(ctx: RequestContext): boolean {
  const { headers } = ctx.request;
  return !headers.has("cookie") && isJsonContentType(headers.get("content-type"));
}

function carriesSessionCookies(ctx: RequestContext): boolean {
  const { cookieName, rememberCookieName } = ctx.rt.config.session;
  const refresh = ctx.rt.services.tokenFamilies?.cookieName(ctx.rt) ?? null;
  return [cookieName, rememberCookieName, refresh].some((name) => !!name && ctx.cookie(name) !== undefined);
}

/** Checks the CSRF token; returns the failure code or null when it is fine. */
export async function verifyCsrf(ctx: RequestContext): Promise<MessageKey | null> {
  const token = await presentedCsrfToken(ctx);
  if (!token) return "CSRF_MISSING";
  const opened = csrfCodec.open(ctx.rt, token);
  if (!opened.ok) return opened.reason === "expired" ? "CSRF_EXPIRED" : "CSRF_INVALID";
  const secret = await bindingSecret(ctx, false);
  if (!secret || opened.value.binding !== bindingOf(secret)) return "CSRF_INVALID";
  return null;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Methods that may change state: the ones CSRF and the cross-site check apply to. */
export function isUnsafeMethod(method: string): boolean {
  return UNSAFE.has(method);
}

/**
 * Browser cross-site check for unsafe methods. It applies to browser-like callers — anonymous (sign-in forms),
 * session-authenticated, or carrying cookies — not to token/basic clients without cookies. Such a request whose
 * Origin is foreign, or whose Sec-Fetch-Site says cross-site, is refused.
 */
export function crossSiteRefused(ctx: RequestContext, caller: Caller | null): boolean {
  const { csrf } = ctx.rt.config;
  if (!csrf.checkOrigin) return false;
  const browserLike = !caller || caller.mechanism === "session" || ctx.request.headers.has("cookie");
  if (!browserLike) return false;
  const site = ctx.request.headers.get("sec-fetch-site");
  const origin = ctx.request.headers.get("origin");
  // An SPA on an origin of the CORS allow-list calls cross-site by design; it still needs its CSRF token.
  if (origin !== null && corsAllowedOrigin(ctx, origin)) return false;
  if (site === "cross-site") return true;
  if (origin === null) return false;
  // Pages sent with Referrer-Policy: no-referrer (reset links) make browsers post with "Origin: null"; the
  // browser's own Sec-Fetch-Site still tells whether the form was ours. Without it, "null" is refused.
  if (origin === "null") return site !== "same-origin";
  if (origin === ctx.appOrigin() || origin === ctx.url.origin) return false;
  return !csrf.trustedOrigins.includes(origin);
}
