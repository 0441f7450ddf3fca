import type { RequestContext } from "../context.js";
import type { MessageKey } from "../messages.js";
import { randomBytes } from "node:crypto";
import { CSP_NONCE_SLOT } from "../../pages/kit.js";
import { corsHeaders } from "./cors.js";

/**
 * Builds Rampart's responses: the Flask-Security JSON envelope, error payloads with `errors`, `field_errors`
 * (form-level under "") and `error_codes`, HTML pages and redirects — all with the cookies set during the
 * request and the security headers every Rampart response carries.
 */
export interface MessageRef {
  code: MessageKey | string;
  params?: Record<string, string | number>;
  /** Already-rendered text (hook vetoes). */
  text?: string;
  /** The HTTP status this error asks for (a hook veto's); JSON answers use it over their default. */
  status?: number;
}
export type FieldErrors = Record<string, MessageRef[]>;

/** Pages: their own inline style and scripts only by this response's nonce, never 'unsafe-inline'. */
function pageCsp(nonce: string, formActions: readonly string[]): string {
  const actions = ["'self'", ...formActions].join(" ");
  return `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'nonce-${nonce}'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action ${actions}`;
}

const formActionOrigins = new WeakMap<RequestContext, Set<string>>();

/**
 * A page whose form leads to another site adds that origin to its `form-action`: browsers apply the directive to
 * every redirect a form's submission follows, so a "Sign in with Google" form posting to Rampart, which answers
 * with a redirect to Google, needs Google's origin listed. Only an origin (scheme, host, port) from the
 * configuration, never from the request.
 */
export function allowFormAction(ctx: RequestContext, origin: string): void {
  let set = formActionOrigins.get(ctx);
  if (!set) formActionOrigins.set(ctx, (set = new Set()));
  set.add(new URL(origin).origin);
}
/** Answers that are not pages (JSON, text, redirects) load nothing and are never framed. */
export const DATA_CSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";
/**
 * Added to the app's guarded answers unless the app set its own: it forbids only plugins, <base> and framing,
 * so it cannot break the app's scripts or styles.
 */
const APP_CSP = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The headers every answer carries — Rampart's own and those of the routes it guards for the app: never
 * cached (they depend on who asks), no MIME sniffing, no full URLs (with their tokens) leaked as referrers,
 * and on https HSTS.
 */
export function baselineHeaders(https: boolean, hstsMaxAgeSeconds = 31_536_000): Record<string, string> {
  const h: Record<string, string> = {
    "cache-control": "private, no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
  };
  if (https) h["strict-transport-security"] = `max-age=${hstsMaxAgeSeconds}; includeSubDomains`;
  return h;
}

/** The baseline for this request (HSTS as RAMPART_HSTS says) plus its CORS headers. */
function requestHeaders(ctx: RequestContext): Record<string, string> {
  const { hsts, hstsMaxAgeSeconds } = ctx.rt.config.headers;
  return { ...baselineHeaders(hsts ?? ctx.appOrigin().startsWith("https:"), hstsMaxAgeSeconds), ...corsHeaders(ctx) };
}

/**
 * What a guard hands the app for its answer (the adapters add each header the app has not set itself): the
 * baseline, CORS, and the framing and isolation rules of pages with a CSP that restricts no script or style.
 */
export function guardedAnswerHeaders(ctx: RequestContext): Record<string, string> {
  return {
    ...requestHeaders(ctx),
    "content-security-policy": APP_CSP,
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
  };
}

function baseHeaders(ctx: RequestContext, contentType: string | null): Headers {
  const h = new Headers(requestHeaders(ctx));
  h.set("content-security-policy", DATA_CSP);
  if (contentType) h.set("content-type", contentType);
  for (const c of ctx.setCookies) h.append("set-cookie", c);
  if (ctx.setCookies.length) h.append("vary", "Cookie");
  return h;
}

export function jsonResponse(
  ctx: RequestContext,
  status: number,
  response: Record<string, unknown>,
  extraHeaders?: Record<string, string>,
): Response {
  const h = baseHeaders(ctx, "application/json");
  for (const [k, v] of Object.entries(extraHeaders ?? {})) h.set(k, v);
  return new Response(JSON.stringify({ meta: { code: status }, response }), { status, headers: h });
}

/** JSON that is a document of its own (no envelope), with the same headers as every answer. */
export function bareJsonResponse(
  ctx: RequestContext,
  status: number,
  body: Record<string, unknown>,
  extraHeaders?: Record<string, string>,
): Response {
  const h = baseHeaders(ctx, "application/json");
  for (const [k, v] of Object.entries(extraHeaders ?? {})) h.set(k, v);
  return new Response(JSON.stringify(body), { status, headers: h });
}

export function renderMessages(ctx: RequestContext, refs: MessageRef[]): string[] {
  return refs.map((r) => r.text ?? ctx.rt.message(r.code, r.params));
}

/** The rendered messages of one field (pages show them under the field). */
export function errorsFor(ctx: RequestContext, errors: FieldErrors | undefined, name: string): string[] {
  return errors?.[name] ? renderMessages(ctx, errors[name]!) : [];
}

/** Error payload: `errors` flat in field order, `field_errors` per field, `error_codes` aligned with `errors`. */
export function errorPayload(ctx: RequestContext, fieldErrors: FieldErrors): Record<string, unknown> {
  const errors: string[] = [];
  const codes: string[] = [];
  // Null prototype: a field literally named "__proto__" stays an ordinary key.
  const byField: Record<string, string[]> = Object.create(null);
  for (const [fieldName, refs] of Object.entries(fieldErrors)) {
    const texts = renderMessages(ctx, refs);
    byField[fieldName] = texts;
    errors.push(...texts);
    codes.push(...refs.map((r) => r.code));
  }
  return { errors, field_errors: byField, error_codes: codes };
}

/** The status an error answer takes: one an error asks for (a hook veto's 4xx/5xx), else `fallback`. */
export function errorStatus(fieldErrors: FieldErrors, fallback = 400): number {
  for (const refs of Object.values(fieldErrors)) {
    for (const ref of refs)
      if (ref.status && Number.isInteger(ref.status) && ref.status >= 400 && ref.status <= 599) return ref.status;
  }
  return fallback;
}

/** Handler-level errors (401/403/400 anonymous-required, CSRF): only `errors` and `error_codes`. */
export function plainErrorJson(
  ctx: RequestContext,
  status: number,
  refs: MessageRef[],
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
): Response {
  return jsonResponse(
    ctx,
    status,
    { errors: renderMessages(ctx, refs), error_codes: refs.map((r) => r.code), ...extra },
    headers,
  );
}

export function htmlResponse(
  ctx: RequestContext,
  status: number,
  body: string,
  extraHeaders?: Record<string, string>,
): Response {
  const h = baseHeaders(ctx, "text/html; charset=utf-8");
  const nonce = randomBytes(16).toString("base64url");
  h.set("content-security-policy", pageCsp(nonce, [...(formActionOrigins.get(ctx) ?? [])]));
  h.set("x-frame-options", "DENY");
  h.set("cross-origin-opener-policy", "same-origin");
  for (const [k, v] of Object.entries(extraHeaders ?? {})) h.set(k, v);
  return new Response(body.replaceAll(CSP_NONCE_SLOT, nonce), { status, headers: h });
}

/** An answer without a body (a CORS preflight's 204), with the headers every answer carries. */
export function emptyResponse(ctx: RequestContext, status: number, headers: Record<string, string>): Response {
  const h = baseHeaders(ctx, null);
  for (const [k, v] of Object.entries(headers)) h.set(k, v);
  return new Response(null, { status, headers: h });
}

export function redirectResponse(ctx: RequestContext, location: string, status = 302): Response {
  const h = baseHeaders(ctx, null);
  h.set("location", location);
  return new Response(null, { status, headers: h });
}

export function textResponse(
  ctx: RequestContext,
  status: number,
  text: string,
  headers?: Record<string, string>,
): Response {
  const h = baseHeaders(ctx, "text/plain; charset=utf-8");
  for (const [k, v] of Object.entries(headers ?? {})) h.set(k, v);
  return new Response(text, { status, headers: h });
}
