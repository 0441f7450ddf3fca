// A real OpenID Connect provider (the `oidc-provider` package) on loopback, for the social sign-in tests.
//
// Shape: a small front server (the issuer URL) forwards every request to the provider on a second, internal port.
// The front records what the relying party sent, injects faults, accepts client_secret_post as well as
// client_secret_basic (oidc-provider enforces the one registered method), and can rewrite the token endpoint's
// id_token (tamper tests). The provider's login and consent interactions complete by themselves with the account
// given to setAccount, so a browser or followToRedirectUri ends at the client's redirect_uri with code, state, iss.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import {
  SignJWT,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
} from "jose";

export interface IdpAccount {
  sub: string;
  email?: string;
  /** Kept as given: a string "true"/"false" reaches the id_token as a string (tests that only boolean true counts). */
  email_verified?: boolean | string;
  name?: string;
  amr?: string[];
  acr?: string;
}

export type IdpFault =
  null | { kind: "down" } | { kind: "slow"; ms: number } | { kind: "error"; error: string; description?: string };

/** Endpoints a fault can hit. Default: the token endpoint only. */
export type IdpEndpoint = "token" | "discovery" | "jwks" | "authorize" | "userinfo";

export interface TamperOptions {
  /** "same" (default): re-signed with the provider's key, so the signature is valid and only the claims are wrong.
   *  "other": signed with a different key under the same kid, so the signature does not verify. */
  key?: "same" | "other";
}

export interface OidcIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the next authorization signs in as (the interaction auto-completes with this account, no UI). */
  setAccount(a: IdpAccount): void;
  /** Everything the front server saw, as flat string maps. authorize: the query (or form) of each initial
   *  authorization request. token: the form body of each token request plus `authorization` (the header, when
   *  sent) and `auth_method` ("client_secret_basic" | "client_secret_post" | "none"). */
  requests: { authorize: Record<string, string>[]; token: Record<string, string>[] };
  /** Fault for every following request to the chosen endpoints (default ["token"]) until setFault(null):
   *  "down" closes the connection without an answer, "slow" answers after ms, "error" answers 400 OAuth error JSON
   *  (on "authorize": redirects to the redirect_uri with error, error_description, state, iss, e.g. access_denied). */
  setFault(f: IdpFault, on?: IdpEndpoint[]): void;
  /** An id_token signed with this provider's key (or the other key) carrying exactly these claims. */
  signIdToken(claims: Record<string, unknown>, opts?: TamperOptions): Promise<string>;
  /** The next successful token response's id_token is re-signed with patched claims. */
  tamperNextIdToken(patch: (claims: Record<string, unknown>) => Record<string, unknown>, opts?: TamperOptions): void;
  close(): Promise<void>;
}

export interface StartOidcIdpOptions {
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
  /** PKCE (S256) required on every authorization request. Default true. */
  pkceRequired?: boolean;
}

interface AccountLike {
  accountId: string;
  claims(): Promise<Record<string, unknown>>;
}
interface GrantLike {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface ProviderLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ params: Record<string, unknown> }>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: unknown, o?: object): Promise<void>;
  Grant: new (o: { accountId: string; clientId: string }) => GrantLike;
}
type ProviderCtor = new (issuer: string, configuration: object) => ProviderLike;

// Loaded once, lazily. The package warns on import that Node 20 is not a runtime it supports (its engines say 22+);
// it works on Node 20 for everything used here, so that one line is kept out of the test output. No type
// declarations are installed (@types/oidc-provider would give them): ProviderLike types the few calls made here.
let providerCtor: Promise<ProviderCtor> | undefined;
function loadProvider(): Promise<ProviderCtor> {
  providerCtor ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).includes("Unsupported runtime")) warn(...args);
    };
    try {
      const name = "oidc-provider";
      const mod = (await import(name)) as { default: ProviderCtor };
      return mod.default;
    } finally {
      console.warn = warn;
    }
  })();
  return providerCtor;
}

// The provider's storage: a plain in-memory map per provider (its own quick-start adapter warns on every start).
// Codes are single-use because the provider marks them consumed here and refuses a consumed one.
function memoryAdapter() {
  const store = new Map<string, Record<string, unknown>>();
  const findWhere = (model: string, field: string, value: string) => {
    for (const [k, v] of store) if (k.startsWith(`${model}:`) && v[field] === value) return v;
    return undefined;
  };
  return class MemoryAdapter {
    constructor(private readonly model: string) {}
    async upsert(id: string, payload: Record<string, unknown>) {
      store.set(`${this.model}:${id}`, { ...payload });
    }
    async find(id: string) {
      return store.get(`${this.model}:${id}`);
    }
    async findByUid(uid: string) {
      return findWhere(this.model, "uid", uid);
    }
    async findByUserCode(userCode: string) {
      return findWhere(this.model, "userCode", userCode);
    }
    async consume(id: string) {
      const v = store.get(`${this.model}:${id}`);
      if (v) v.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(`${this.model}:${id}`);
    }
    async revokeByGrantId(grantId: string) {
      for (const [k, v] of store) if (v.grantId === grantId) store.delete(k);
    }
  };
}

const KID = "idp-key-1";
const HEADER: JWTHeaderParameters = { alg: "RS256", kid: KID };
const DEFAULT_ACCOUNT: IdpAccount = {
  sub: "idp-user-1",
  email: "idp.user@example.test",
  email_verified: true,
  name: "IdP User",
};

export async function startOidcIdp(opts: StartOidcIdpOptions): Promise<OidcIdp> {
  const clientId = opts.clientId ?? "rampart-test-client";
  const clientSecret = opts.clientSecret ?? randomBytes(18).toString("base64url");
  const pkceRequired = opts.pkceRequired ?? true;
  let account: IdpAccount = { ...DEFAULT_ACCOUNT };
  // Every account ever set, by sub: a code redeemed after setAccount changed still gets its own account's claims.
  const accounts = new Map<string, IdpAccount>([[account.sub, account]]);
  let fault: IdpFault = null;
  let faultOn = new Set<IdpEndpoint>(["token"]);
  let tamper: { patch: (c: Record<string, unknown>) => Record<string, unknown>; opts: TamperOptions } | null = null;
  const requests: OidcIdp["requests"] = { authorize: [], token: [] };
  const timers = new Set<NodeJS.Timeout>();

  const signing = await generateKeyPair("RS256", { extractable: true });
  // The "other" key (bad-signature tests) is made only when first asked for: RSA generation costs start-up time.
  let other: Promise<CryptoKey> | undefined;
  const otherKey = () => (other ??= generateKeyPair("RS256").then((k) => k.privateKey));
  const privateJwk: JWK = { ...(await exportJWK(signing.privateKey)), kid: KID, alg: "RS256", use: "sig" };

  const front = createServer();
  const inner = createServer();
  await Promise.all([listen(front), listen(inner)]);
  const issuer = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  const innerPort = (inner.address() as AddressInfo).port;

  const Provider = await loadProvider();
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [privateJwk] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    claims: { openid: ["sub", "acr", "amr"], email: ["email", "email_verified"], profile: ["name"] },
    // Put the scope's claims in the id_token itself, not only behind userinfo.
    conformIdTokenClaims: false,
    pkce: { required: () => pkceRequired },
    features: { devInteractions: { enabled: false } },
    adapter: memoryAdapter(),
    ttl: { AuthorizationCode: 60, AccessToken: 3600, IdToken: 3600, Interaction: 600, Grant: 3600, Session: 3600 },
    findAccount: async (_ctx: unknown, sub: string): Promise<AccountLike> => {
      const { amr: _amr, acr: _acr, ...claims } = accounts.get(sub) ?? { sub };
      return { accountId: sub, claims: async () => ({ ...claims }) };
    },
    renderError: (ctx: { type: string; body: unknown }, out: Record<string, string>) => {
      ctx.type = "json";
      ctx.body = out;
    },
  });

  // The interaction (login, then consent) finishes at once with the current account and a grant for every scope.
  const providerCallback = provider.callback();
  inner.on("request", (req, res) => {
    if (!req.url?.startsWith("/interaction/")) return providerCallback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({ accountId: account.sub, clientId });
      grant.addOIDCScope(String(details.params.scope ?? "openid"));
      const grantId = await grant.save();
      const login = { accountId: account.sub, remember: false, amr: account.amr, acr: account.acr };
      await provider.interactionFinished(req, res, { login, consent: { grantId } }, { mergeWithLastSubmission: false });
    })().catch((e: unknown) => {
      res.statusCode = 500;
      res.end(`interaction failed: ${String(e)}`);
    });
  });

  const signWith = async (
    claims: Record<string, unknown>,
    o: TamperOptions = {},
    header: JWTHeaderParameters = HEADER,
  ) => new SignJWT(claims).setProtectedHeader(header).sign(o.key === "other" ? await otherKey() : signing.privateKey);

  front.on("request", (req, res) => {
    void handleFront(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`idp front failed: ${String(e)}`);
    });
  });

  async function handleFront(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", issuer);
    const endpoint = endpointOf(req.method ?? "GET", url.pathname);
    const body = await readBody(req);
    const headers = { ...req.headers };
    let forwardBody = body;

    if (endpoint && fault && faultOn.has(endpoint)) {
      if (fault.kind === "down") return void req.socket.destroy();
      if (fault.kind === "error" && endpoint === "authorize") return authorizeError(url, body, req, res, fault);
      if (fault.kind === "error") {
        res.writeHead(400, { "content-type": "application/json", "cache-control": "no-store" });
        const out: Record<string, string> = { error: fault.error };
        if (fault.description) out.error_description = fault.description;
        return void res.end(JSON.stringify(out));
      }
      await delay(fault.ms);
      if (res.destroyed) return;
    }

    if (endpoint === "authorize") {
      const form = req.method === "POST" ? new URLSearchParams(body.toString()) : url.searchParams;
      requests.authorize.push(Object.fromEntries(form));
      // No earlier session counts: every authorization signs in afresh as the account set now.
      delete headers.cookie;
    }
    if (endpoint === "token") {
      const form = new URLSearchParams(body.toString());
      const auth = req.headers.authorization;
      const method = auth ? "client_secret_basic" : form.has("client_secret") ? "client_secret_post" : "none";
      requests.token.push({
        ...Object.fromEntries(form),
        ...(auth ? { authorization: auth } : {}),
        auth_method: method,
      });
      if (method === "client_secret_post") {
        const id = form.get("client_id") ?? "";
        const secret = form.get("client_secret") ?? "";
        headers.authorization = `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString("base64")}`;
        form.delete("client_id");
        form.delete("client_secret");
        forwardBody = Buffer.from(form.toString());
      }
    }
    headers.connection = "close";
    headers["content-length"] = String(forwardBody.length);
    if (forwardBody.length === 0 && req.method === "GET") delete headers["content-length"];

    const upstream = await forward(innerPort, req.method ?? "GET", req.url ?? "/", headers, forwardBody);
    let out = upstream.body;
    if (endpoint === "token" && tamper && upstream.status === 200) {
      const json = JSON.parse(out.toString()) as Record<string, unknown>;
      if (typeof json.id_token === "string") {
        const t = tamper;
        tamper = null;
        const header = decodeProtectedHeader(json.id_token) as JWTHeaderParameters;
        json.id_token = await signWith(t.patch({ ...decodeJwt(json.id_token) }), t.opts, header);
        out = Buffer.from(JSON.stringify(json));
      }
    }
    const outHeaders: Upstream["headers"] = { ...upstream.headers, "content-length": String(out.length) };
    for (const hop of ["transfer-encoding", "connection", "keep-alive"]) delete outHeaders[hop];
    res.writeHead(upstream.status, outHeaders);
    res.end(out);
  }

  // An authorization error goes back to a registered redirect_uri as the provider would send it (e.g. the user
  // refused: access_denied); an unregistered one gets a 400 page, never a redirect.
  function authorizeError(
    url: URL,
    body: Buffer,
    req: IncomingMessage,
    res: ServerResponse,
    f: { error: string; description?: string },
  ) {
    const q = req.method === "POST" ? new URLSearchParams(body.toString()) : url.searchParams;
    requests.authorize.push(Object.fromEntries(q));
    const redirectUri = q.get("redirect_uri") ?? "";
    if (!opts.redirectUris.includes(redirectUri)) return void res.writeHead(400).end("unregistered redirect_uri");
    const to = new URL(redirectUri);
    to.searchParams.set("error", f.error);
    if (f.description) to.searchParams.set("error_description", f.description);
    const state = q.get("state");
    if (state !== null) to.searchParams.set("state", state);
    to.searchParams.set("iss", issuer);
    res.writeHead(303, { location: to.href }).end();
  }

  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  return {
    issuer,
    clientId,
    clientSecret,
    requests,
    setAccount(a) {
      account = { ...a };
      accounts.set(account.sub, account);
    },
    setFault(f, on = ["token"]) {
      fault = f;
      faultOn = new Set(on);
    },
    signIdToken: (claims, o) => signWith(claims, o),
    tamperNextIdToken(patch, o = {}) {
      tamper = { patch, opts: o };
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([closeServer(front), closeServer(inner)]);
    },
  };
}

function endpointOf(method: string, path: string): IdpEndpoint | null {
  if (path === "/token" && method === "POST") return "token";
  if (path === "/.well-known/openid-configuration") return "discovery";
  if (path === "/jwks") return "jwks";
  // Only the initial request: /auth/<uid> is the provider resuming after the interaction.
  if (path === "/auth") return "authorize";
  if (path === "/me") return "userinfo";
  return null;
}

// application/x-www-form-urlencoded encoding of the Basic credentials (RFC 6749 section 2.3.1).
function formEncode(s: string): string {
  return new URLSearchParams({ s }).toString().slice(2);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function forward(
  port: number,
  method: string,
  path: string,
  headers: IncomingMessage["headers"],
  body: Buffer,
): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    // agent: false, so no kept-alive socket outlives close().
    const r = httpRequest({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      readBody(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
    });
    r.on("error", reject);
    r.end(body);
  });
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Follows the IdP's redirects (keeping the cookies it sets, as a browser would) from an authorization URL until a
 * Location starts with the client's redirect URI, and returns that URL (code, state, iss, or error). Throws on a
 * non-redirect answer or after 20 hops.
 */
export async function followToRedirectUri(authorizeUrl: string, redirectUriPrefix: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(authorizeUrl);
  for (let hop = 0; hop < 20; hop++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired) jar.delete(name);
      else jar.set(name, pair.slice(eq + 1).trim());
    }
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location) {
      const text = await res.text();
      throw new Error(`IdP answered ${res.status} at ${url.pathname} instead of redirecting: ${text.slice(0, 300)}`);
    }
    await res.body?.cancel();
    const next = new URL(location, url);
    if (next.href.startsWith(redirectUriPrefix)) return next;
    url = next;
  }
  throw new Error("IdP kept redirecting (more than 20 hops)");
}
