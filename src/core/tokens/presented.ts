import type { RequestContext } from "../context.js";

/**
 * Where a request presents its access token: the JSON body key (TOKEN_AUTHENTICATION_KEY), the query string under
 * the same key (switchable), Flask-Security's header (TOKEN_AUTHENTICATION_HEADER) and `Authorization: Bearer`
 * (RFC 6750, switchable). `Authorization: Basic` is left to basic auth.
 */
export type PresentedVia = "body" | "query" | "header" | "bearer";

export type Presented =
  | { kind: "none" }
  | { kind: "one"; token: string; via: readonly PresentedVia[] }
  /** Two different tokens in one request: which one the client meant is unknown, so neither is used. */
  | { kind: "conflict" };

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;
const SCHEME = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*[ \t]/;

const memo = new WeakMap<RequestContext, Promise<Presented>>();

/** The token the request presents (read once per request). */
export function presentedToken(ctx: RequestContext): Promise<Presented> {
  let p = memo.get(ctx);
  if (!p) {
    p = readPresented(ctx);
    memo.set(ctx, p);
  }
  return p;
}

async function readPresented(ctx: RequestContext): Promise<Presented> {
  const { key, header, bearer, queryString } = ctx.rt.config.token;
  const found: [PresentedVia, string][] = [];
  if (ctx.request.method !== "GET" && ctx.request.method !== "HEAD") {
    const body = await ctx.body().catch(() => null);
    const fromBody = body?.kind === "json" ? body.fields[key] : undefined;
    if (typeof fromBody === "string" && fromBody) found.push(["body", fromBody]);
  }
  // Parse the URL only when there is a query string: most token requests carry a header alone.
  if (queryString && ctx.request.url.includes("?")) {
    const fromQuery = ctx.url.searchParams.get(key);
    if (fromQuery) found.push(["query", fromQuery]);
  }
  const authorization = ctx.request.headers.get("authorization");
  const fsHeader = ctx.request.headers.get(header);
  // An app may name Authorization as its token header (FS reads the raw value): a value with a scheme
  // ("Basic …", "Bearer …") is then not a raw token.
  if (fsHeader && !(header.toLowerCase() === "authorization" && SCHEME.test(fsHeader)))
    found.push(["header", fsHeader.trim()]);
  const fromBearer = bearer && authorization ? BEARER.exec(authorization)?.[1] : undefined;
  if (fromBearer) found.push(["bearer", fromBearer]);
  if (found.length === 0) return { kind: "none" };
  const token = found[0]![1];
  if (found.some(([, t]) => t !== token)) return { kind: "conflict" };
  return { kind: "one", token, via: found.map(([via]) => via) };
}

/** Whether the request presents a token by `Authorization: Bearer` (for the RFC 6750 challenge). */
export async function presentedAsBearer(ctx: RequestContext): Promise<boolean> {
  const p = await presentedToken(ctx);
  return p.kind === "one" && p.via.includes("bearer");
}
