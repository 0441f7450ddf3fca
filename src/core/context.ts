import { parse as parseCookies, serialize as serializeCookie } from "hono/utils/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { parseBody, isJsonContentType, type ParsedBody } from "./http/body.js";
import type { Runtime } from "./runtime.js";
import { resolveClientIp, trustedProxies, type TrustedProxies } from "./http/client-ip.js";
import type { Caller } from "./identity.js";
import type { RunningRoute } from "./route-limits.js";

/**
 * Per-request state: the parsed body (read once), cookies in and out, the caller (resolved lazily and
 * cached), and the response headers every Rampart response carries.
 */
export class RequestContext {
  #url: URL | undefined;
  #wantsJson: boolean | undefined;
  private bodyPromise: Promise<ParsedBody> | null = null;
  private cookiesIn: Record<string, string> | null = null;
  readonly setCookies: string[] = [];
  /** Cache for identity resolution (see identity.ts). */
  identityCache = new Map<string, Promise<Caller | null>>();
  /**
   * What the session store alone may prove while the database is down: "read" for the app's guards (GET/HEAD
   * only), "sign-out" for a route that only ends the session; null (Rampart's own routes): a 503.
   */
  outageAccess: "read" | "sign-out" | null = null;
  /** The route whose handler runs, with the limits it declared (route-limits.ts); null outside a handler. */
  runningRoute: RunningRoute | null = null;
  /** Anonymous CSRF binding secret minted during this request. */
  anonCsrfSecret: string | null = null;

  constructor(
    readonly rt: Runtime,
    readonly request: Request,
  ) {}

  // Parsed on first use: a guard check that only reads a header and a cookie never needs either.
  get url(): URL {
    return (this.#url ??= new URL(this.request.url));
  }

  get wantsJson(): boolean {
    return (this.#wantsJson ??= detectJson(this.request));
  }

  now(): Date {
    return this.rt.now();
  }

  nowSeconds(): number {
    return Math.floor(this.rt.now().getTime() / 1000);
  }

  body(): Promise<ParsedBody> {
    this.bodyPromise ??= parseBody(this.request, this.rt.config.maxBodyBytes);
    return this.bodyPromise;
  }

  cookie(name: string): string | undefined {
    if (!this.cookiesIn) {
      try {
        this.cookiesIn = parseCookies(this.request.headers.get("cookie") ?? "");
      } catch {
        this.cookiesIn = {};
      }
    }
    return this.cookiesIn[name];
  }

  /** The names of the cookies the request carries (for a feature that keeps one cookie per flow). */
  cookieNames(): string[] {
    this.cookie("");
    return Object.keys(this.cookiesIn ?? {});
  }

  setCookie(name: string, value: string, options: CookieOptions): void {
    this.setCookies.push(serializeCookie(name, value, { path: "/", ...options }));
  }

  deleteCookie(name: string, options: CookieOptions = {}): void {
    this.setCookie(name, "", { ...options, maxAge: 0, expires: new Date(0) });
  }

  /** Origin the app is served at: the configured base URL, else the request's own. */
  appOrigin(): string {
    return this.rt.config.baseUrl ? new URL(this.rt.config.baseUrl).origin : this.url.origin;
  }

  /**
   * Client IP: the socket address the adapter attached, or, only when that peer is a configured trusted proxy,
   * the address its forwarding header names (see http/client-ip.ts).
   */
  clientIp(): string | null {
    return resolveClientIp(remoteAddress(this.request), this.request.headers, proxiesOf(this.rt));
  }

  userAgent(): string | null {
    return this.request.headers.get("user-agent")?.slice(0, 512) ?? null;
  }

  /** Query parameter `include_auth_token` (any value) or the backwards-compat switch. */
  includeAuthToken(): boolean {
    return this.url.searchParams.has("include_auth_token") || this.rt.config.token.backwardsCompat;
  }
}

const proxyLists = new WeakMap<Runtime, TrustedProxies>();
const proxiesOf = (rt: Runtime): TrustedProxies => {
  let found = proxyLists.get(rt);
  if (!found) {
    found = trustedProxies(rt.config.trustedProxies, rt.config.trustedProxyHeader);
    proxyLists.set(rt, found);
  }
  return found;
};

const REMOTE = Symbol.for("rampart.remoteAddress");

/** Adapters attach the socket address to the Request with this (web Requests have no peer address). */
export function attachRemoteAddress(request: Request, address: string | undefined | null): Request {
  if (address && remoteAddress(request) === null)
    Object.defineProperty(request, REMOTE, { value: address, enumerable: false, configurable: true });
  return request;
}

export function remoteAddress(request: Request): string | null {
  const value = (request as unknown as Record<symbol, unknown>)[REMOTE];
  return typeof value === "string" ? value : null;
}

/** FS rule: JSON when the body is JSON, or when the best Accept match is exactly application/json. */
export function detectJson(request: Request): boolean {
  if (isJsonContentType(request.headers.get("content-type"))) return true;
  const accept = request.headers.get("accept");
  if (!accept) return false;
  let best: { type: string; q: number } | null = null;
  for (const part of accept.split(",")) {
    const [type, ...params] = part.trim().split(";");
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!type || Number.isNaN(q)) continue;
    if (!best || q > best.q) best = { type: type.trim().toLowerCase(), q };
  }
  return best?.type === "application/json";
}
