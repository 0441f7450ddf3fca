import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { TLSSocket } from "node:tls";
import type { Rampart } from "../create-rampart.js";
import type { GuardOutcome, MethodRules, Requirement } from "../core/authz.js";
import { attachRemoteAddress, remoteAddress } from "../core/context.js";
import { baselineHeaders, DATA_CSP } from "../core/http/respond.js";
import type { UserFields } from "../core/public-user.js";

/**
 * `rampart/node`: binds Rampart to plain `node:http`. Converts IncomingMessage ↔ web Request and web
 * Response → ServerResponse; serves Rampart's routes and guards app handlers. No auth logic lives here.
 * The Express and Fastify adapters reuse these conversions.
 */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
/** What a passed guard tells the app about the caller; `user` is the public view (safe to send as is). */
export type RampartAuth<F extends UserFields = UserFields> = Omit<
  Extract<GuardOutcome<F>, { ok: true }>,
  "ok" | "setCookies" | "headers"
>;

export interface ToWebRequestOptions {
  /**
   * Body to use instead of streaming `req`: e.g. a body rebuilt after a framework parsed the stream, or
   * `null` for a headers-only Request that leaves the stream to the app. Undefined streams `req`.
   */
  body?: BodyInit | null;
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;
const NO_BODY = new Set(["GET", "HEAD"]);

/** The request's absolute URL: the socket's TLS state gives the scheme, a well-formed Host header the host. */
export function requestUrl(req: IncomingMessage): URL {
  const scheme = (req.socket as TLSSocket | undefined)?.encrypted ? "https" : "http";
  const header = req.headers.host ?? req.headers[":authority"];
  const local = req.socket?.localAddress ?? "localhost";
  const host =
    typeof header === "string" && HOST.test(header)
      ? header
      : `${local.includes(":") ? `[${local}]` : local}:${req.socket?.localPort ?? 80}`;
  let target = req.url ?? "/";
  if (!target.startsWith("/")) {
    try {
      const absolute = new URL(target); // absolute-form request target (proxies): keep only path and query
      target = absolute.pathname + absolute.search;
    } catch {
      target = "/";
    }
  }
  return new URL(`${scheme}://${host}${target}`);
}

/** A web Request for `req`, with the socket peer address attached for Rampart (client IP). */
export function toWebRequest(req: IncomingMessage, options: ToWebRequestOptions = {}): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (!raw[i]!.startsWith(":")) headers.append(raw[i]!, raw[i + 1]!);
  const method = (req.method ?? "GET").toUpperCase();
  let body: BodyInit | null = null;
  if ("body" in options) {
    for (const h of ["content-length", "content-encoding", "transfer-encoding"]) headers.delete(h);
    body = NO_BODY.has(method) ? null : (options.body ?? null);
  } else if (!NO_BODY.has(method) && (headers.has("content-length") || headers.has("transfer-encoding"))) {
    body = bodyStream(req);
  }
  const init = { method, headers, body, duplex: "half" } as RequestInit;
  return withRemoteAddress(new Request(requestUrl(req), init), req.socket?.remoteAddress);
}

/** Detaches a body stream from its request (see bodyStream). */
const detachBody = new WeakMap<IncomingMessage, () => void>();

/**
 * `req`'s body as a web stream that reads only as fast as it is consumed. Unlike Readable.toWeb, cancelling it
 * (Rampart stops at the body limit) leaves `req` and its socket alone, so the connection can be kept.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const onData = (chunk: Buffer) => {
    controller.enqueue(new Uint8Array(chunk));
    if ((controller.desiredSize ?? 0) <= 0) req.pause();
  };
  const onEnd = () => {
    detach();
    controller.close();
  };
  const onError = (error: Error) => {
    detach();
    controller.error(error);
  };
  // A client gone mid-body may close the request without an error: the reader must not wait forever.
  const onClose = () => {
    if (!req.readableEnded) onError(new Error("request closed before its body ended"));
  };
  const detach = () => {
    req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
    detachBody.delete(req);
  };
  detachBody.set(req, detach);
  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      req.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      detach();
    },
  });
}

/** At most this much of a body left unread by an early answer (a 413…) is read and dropped to keep the connection. */
const DRAIN_MAX_BYTES = 4 * 1024 * 1024;
const DRAIN_MAX_MS = 2000;

/**
 * Call before answering `req`. A request body nobody read blocks the connection: the next request behind it
 * is never parsed and the client waits until a timeout resets the socket. So once the answer is sent, the rest
 * of the body is read and dropped; when it is known (or turns out) to be larger than DRAIN_MAX_BYTES, the
 * answer says `Connection: close` (or the socket is closed) instead.
 */
export function settleUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  if (NO_BODY.has((req.method ?? "GET").toUpperCase()) || req.readableEnded || req.destroyed) return;
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > DRAIN_MAX_BYTES && !res.headersSent) res.setHeader("connection", "close");
  res.once("finish", () => {
    if (req.readableEnded || req.destroyed) return;
    detachBody.get(req)?.();
    if (res.getHeader("connection") === "close") return; // Node closes the socket once the answer is out
    let read = 0;
    const stop = () => {
      clearTimeout(timer);
      req.off("data", onData).off("end", stop).off("error", stop);
    };
    const close = () => {
      stop();
      req.socket?.destroySoon();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.byteLength;
      if (read > DRAIN_MAX_BYTES) close();
    };
    const timer = setTimeout(close, DRAIN_MAX_MS);
    timer.unref();
    req.on("data", onData).on("end", stop).on("error", stop);
    req.resume();
  });
}

/** Attaches the peer address unless the Request already carries one (guards may run several times). */
export function withRemoteAddress(request: Request, address: string | undefined | null): Request {
  return remoteAddress(request) === null ? attachRemoteAddress(request, address) : request;
}

/** Appends Set-Cookie values to those already on `res`. */
export function appendSetCookies(res: ServerResponse, cookies: readonly string[]): void {
  if (!cookies.length) return;
  const existing = res.getHeader("set-cookie");
  const before = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader("set-cookie", [...before, ...cookies]);
}

/**
 * Adds the headers a guard hands the app's answer (baseline, CORS, framing) through `has`/`set`, leaving any
 * the app set itself; Vary is merged, not replaced.
 */
export function addAnswerHeaders(
  headers: Record<string, string>,
  current: (name: string) => string | null,
  set: (name: string, value: string) => void,
): void {
  for (const [name, value] of Object.entries(headers)) {
    const existing = current(name);
    if (existing === null) set(name, value);
    else if (name === "vary") {
      const have = existing.split(",").map((v) => v.trim().toLowerCase());
      const add = value.split(",").filter((v) => !have.includes(v.trim().toLowerCase()) && !have.includes("*"));
      if (add.length) set(name, [existing, ...add].join(", "));
    }
  }
}

/** `addAnswerHeaders` on a node:http response, before the app writes its answer. */
export function addNodeAnswerHeaders(res: ServerResponse, headers: Record<string, string>): void {
  // The answer names no framework (Express adds X-Powered-By by default).
  res.removeHeader("x-powered-by");
  addAnswerHeaders(
    headers,
    (name) => {
      const v = res.getHeader(name);
      return v === undefined ? null : Array.isArray(v) ? v.join(", ") : String(v);
    },
    (name, value) => res.setHeader(name, value),
  );
}

/** Writes a web Response to `res`: status, headers (every Set-Cookie kept apart), streamed body. */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  if (res.req) settleUnreadBody(res.req, res);
  res.removeHeader("x-powered-by");
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  appendSetCookies(res, response.headers.getSetCookie());
  if (!response.body) {
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), res);
}

/** Re-encodes a body a framework already parsed (JSON, urlencoded, raw Buffer or text) for a web Request. */
export function encodeParsedBody(
  value: unknown,
  contentType: string | undefined,
): { body: BodyInit | null; contentType?: string } {
  if (value === undefined || value === null) return { body: null };
  if (typeof value === "string") return { body: value };
  if (Buffer.isBuffer(value)) return { body: new Uint8Array(value) };
  const mime = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (mime === "application/json" || mime.endsWith("+json")) return { body: JSON.stringify(value) };
  if (typeof value !== "object") return { body: JSON.stringify(value), contentType: "application/json" };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(value)) {
    for (const item of Array.isArray(v) ? v : [v])
      if (item !== null && typeof item !== "object") params.append(k, String(item));
  }
  return { body: params.toString(), contentType: "application/x-www-form-urlencoded" };
}

/** A web Request for a body a framework already parsed (when `consumed`), else a headers-only Request. */
export function toGuardRequest(req: IncomingMessage, parsed: unknown, consumed: boolean): Request {
  if (!consumed) return toWebRequest(req, { body: null });
  const encoded = encodeParsedBody(parsed, req.headers["content-type"]);
  const request = toWebRequest(req, { body: encoded.body });
  if (encoded.contentType) request.headers.set("content-type", encoded.contentType);
  return request;
}

function serve(rampart: Rampart, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return rampart.fetch(toWebRequest(req)).then((response) => sendWebResponse(res, response));
}

function fail(res: ServerResponse, error: unknown): void {
  if (!res.headersSent) {
    res.statusCode = 500;
    res.setHeader("content-type", "text/plain; charset=utf-8");
    for (const [name, value] of Object.entries(baselineHeaders(false))) res.setHeader(name, value);
    res.setHeader("content-security-policy", DATA_CSP);
    res.end("Internal Server Error");
  } else res.destroy(error instanceof Error ? error : undefined);
}

/**
 * A `node:http` request listener serving Rampart's routes. Other requests go to `fallback`; without one,
 * Rampart answers them (404, or 405 for a known path).
 */
export function createRequestListener(rampart: Rampart, options: { fallback?: NodeHandler } = {}): NodeHandler {
  return async (req, res) => {
    try {
      const { pathname } = requestUrl(req);
      if (options.fallback && !rampart.handles((req.method ?? "GET").toUpperCase(), pathname))
        await options.fallback(req, res);
      else await serve(rampart, req, res);
    } catch (error) {
      fail(res, error);
    }
  };
}

/**
 * Checks `requirement` for `req`. On refusal writes Rampart's response to `res` and returns `{ ok: false }`;
 * on success adds the guard's cookies to `res`. The body stream is left to the app unless `options.body`
 * passes an already-read body (then a `csrf_token` / `auth_token` field in it counts too).
 */
export async function guard<F extends UserFields>(
  rampart: Rampart<F>,
  requirement: Requirement,
  req: IncomingMessage,
  res: ServerResponse,
  options: ToWebRequestOptions = { body: null },
): Promise<({ ok: true } & RampartAuth<F>) | { ok: false }> {
  const outcome = await rampart.guards.check(toWebRequest(req, options), requirement);
  if (!outcome.ok) {
    await sendWebResponse(res, outcome.response);
    return { ok: false };
  }
  const { setCookies, headers, ...success } = outcome;
  appendSetCookies(res, setCookies);
  addNodeAnswerHeaders(res, headers);
  return success;
}

/** Wraps a handler so it runs only when `requirement` is met; `req.rampart` holds the caller. */
export function withGuard<F extends UserFields>(
  rampart: Rampart<F>,
  requirement: Requirement,
  handler: (req: IncomingMessage & { rampart: RampartAuth<F> }, res: ServerResponse) => void | Promise<void>,
): NodeHandler {
  return async (req, res) => {
    try {
      const outcome = await guard(rampart, requirement, req, res);
      if (!outcome.ok) return;
      const { ok: _ok, ...auth } = outcome;
      await handler(Object.assign(req, { rampart: auth }), res);
    } catch (error) {
      fail(res, error);
    }
  };
}

/**
 * Wraps a handler with per-method rules: a public method runs it with no caller looked up (`req.rampart`
 * undefined), any other runs it only when its rule is met.
 */
export function withMethodRules<F extends UserFields>(
  rampart: Rampart<F>,
  rules: MethodRules,
  handler: (req: IncomingMessage & { rampart?: RampartAuth<F> }, res: ServerResponse) => void | Promise<void>,
): NodeHandler {
  rampart.guards.methodRules(rules);
  return async (req, res) => {
    const rule = rampart.guards.ruleFor(req.method ?? "GET", rules);
    if (rule !== "public") return withGuard(rampart, rule, handler)(req, res);
    try {
      await handler(req, res);
    } catch (error) {
      fail(res, error);
    }
  };
}
