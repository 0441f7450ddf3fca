// A loopback server speaking GitHub's OAuth web flow and the two API calls sign-in needs, for the social sign-in
// tests. It behaves as GitHub does where a client can tell: the authorization auto-approves and redirects with code
// and state; the token endpoint takes form or JSON bodies, answers form-encoded unless asked for JSON, and reports
// errors with status 200 and an `error` field; scopes come back comma-separated; /user/emails needs the user:email
// (or user) scope. Codes are single-use, expire after 10 minutes, and are bound to the client, the redirect_uri and
// (when a code_challenge was sent) the PKCE S256 verifier.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GithubUser {
  id: number;
  login: string;
  name?: string;
  /** The public profile email; null or absent when the user keeps it private (as /user then shows). */
  email?: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export type GithubFault =
  null | { kind: "down" } | { kind: "slow"; ms: number } | { kind: "error"; error: string; description?: string };

/** Endpoints a fault can hit. Default: the token endpoint only. */
export type GithubEndpoint = "token" | "authorize" | "api";

export interface GithubFake {
  /** Base URL; serves both the web paths (/login/oauth/...) and the API paths (/user, /user/emails). */
  url: string;
  clientId: string;
  clientSecret: string;
  /** Who the next authorization signs in as; a code stays bound to the user it was issued for. */
  setUser(u: GithubUser): void;
  /** authorize: each authorization request's query. token: each token request's body fields plus `authorization`
   *  (the header, when sent) and `accept`. api: each API call's path and Authorization header. */
  requests: {
    authorize: Record<string, string>[];
    token: Record<string, string>[];
    api: { path: string; auth: string | undefined }[];
  };
  /** Fault for every following request to the chosen endpoints (default ["token"]) until setFault(null): "down"
   *  closes the connection unanswered, "slow" answers after ms, "error" answers as GitHub reports errors (token:
   *  200 with error, error_description, error_uri; authorize: redirect with error; api: 500 with message). */
  setFault(f: GithubFault, on?: GithubEndpoint[]): void;
  close(): Promise<void>;
}

export interface StartGithubFakeOptions {
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  challenge: string | null;
  scope: string;
  user: GithubUser;
  expiresAt: number;
}

const CODE_TTL_MS = 10 * 60 * 1000;
const DEFAULT_USER: GithubUser = {
  id: 1001,
  login: "octo-tester",
  name: "Octo Tester",
  email: null,
  emails: [{ email: "octo.tester@example.test", primary: true, verified: true }],
};

export async function startGithubFake(opts: StartGithubFakeOptions): Promise<GithubFake> {
  const clientId = opts.clientId ?? "Iv1.rampart-test";
  const clientSecret = opts.clientSecret ?? randomBytes(20).toString("hex");
  let user: GithubUser = DEFAULT_USER;
  let fault: GithubFault = null;
  let faultOn = new Set<GithubEndpoint>(["token"]);
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, { user: GithubUser; scope: string }>();
  const requests: GithubFake["requests"] = { authorize: [], token: [], api: [] };
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`github fake failed: ${String(e)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? "/", url);
    const endpoint = endpointOf(req.method ?? "GET", u.pathname);
    const body = await readBody(req);
    if (!endpoint) return json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });

    if (fault && faultOn.has(endpoint)) {
      if (fault.kind === "down") return void req.socket.destroy();
      if (fault.kind === "slow") {
        await delay(fault.ms);
        if (res.destroyed) return;
      } else return faultAnswer(req, endpoint, fault, u, res);
    }
    if (endpoint === "authorize") return authorize(u, res);
    if (endpoint === "token") return token(req, body, res);
    return api(req, u.pathname, res);
  }

  function faultAnswer(
    req: IncomingMessage,
    endpoint: GithubEndpoint,
    f: { error: string; description?: string },
    u: URL,
    res: ServerResponse,
  ) {
    if (endpoint === "token") return tokenError(req, res, f.error, f.description ?? f.error);
    if (endpoint === "api") return json(res, 500, { message: f.description ?? f.error });
    const redirectUri = u.searchParams.get("redirect_uri") ?? opts.redirectUris[0] ?? "";
    const to = new URL(redirectUri);
    to.searchParams.set("error", f.error);
    if (f.description) to.searchParams.set("error_description", f.description);
    const state = u.searchParams.get("state");
    if (state !== null) to.searchParams.set("state", state);
    res.writeHead(302, { location: to.href }).end();
  }

  function authorize(u: URL, res: ServerResponse) {
    const q = u.searchParams;
    requests.authorize.push(Object.fromEntries(q));
    // Like GitHub: an unknown client or an unregistered redirect_uri gets an error page, never a redirect.
    if (q.get("client_id") !== clientId) return text(res, 404, "unknown client_id");
    const sent = q.get("redirect_uri");
    const redirectUri = sent ?? opts.redirectUris[0];
    if (!redirectUri || !opts.redirectUris.includes(redirectUri)) {
      return text(res, 400, "The redirect_uri is not associated with this application.");
    }
    const challenge = q.get("code_challenge");
    const to = new URL(redirectUri);
    const state = q.get("state");
    if (challenge !== null && (q.get("code_challenge_method") ?? "S256") !== "S256") {
      to.searchParams.set("error", "invalid_request");
      to.searchParams.set("error_description", "code_challenge_method must be S256");
    } else {
      const code = randomBytes(10).toString("hex");
      codes.set(code, {
        clientId,
        redirectUri,
        challenge,
        scope: (q.get("scope") ?? "")
          .split(/[\s,]+/)
          .filter(Boolean)
          .join(","),
        user,
        expiresAt: Date.now() + CODE_TTL_MS,
      });
      to.searchParams.set("code", code);
    }
    if (state !== null) to.searchParams.set("state", state);
    res.writeHead(302, { location: to.href }).end();
  }

  function token(req: IncomingMessage, body: Buffer, res: ServerResponse) {
    const params = parseBody(req, body);
    const basic = parseBasic(req.headers.authorization);
    requests.token.push({
      ...params,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
    });
    const id = params.client_id ?? basic?.id;
    const secret = params.client_secret ?? basic?.secret;
    if (id !== clientId || secret === undefined || !sameSecret(secret, clientSecret)) {
      return tokenError(
        req,
        res,
        "incorrect_client_credentials",
        "The client_id and/or client_secret passed are incorrect.",
      );
    }
    const code = params.code ? codes.get(params.code) : undefined;
    // Single use: the code is gone from here on, whatever the outcome below.
    if (params.code) codes.delete(params.code);
    if (!code || code.clientId !== id || code.expiresAt < Date.now()) {
      return tokenError(req, res, "bad_verification_code", "The code passed is incorrect or expired.");
    }
    if (params.redirect_uri !== undefined && params.redirect_uri !== code.redirectUri) {
      return tokenError(
        req,
        res,
        "redirect_uri_mismatch",
        "The redirect_uri MUST match the registered callback URL for this application.",
      );
    }
    if (code.challenge !== null) {
      const verifier = params.code_verifier ?? "";
      const computed = createHash("sha256").update(verifier).digest("base64url");
      if (!verifier || computed !== code.challenge) {
        return tokenError(req, res, "bad_verification_code", "The code_verifier does not match the code_challenge.");
      }
    }
    const accessToken = `gho_${randomBytes(18).toString("base64url")}`;
    tokens.set(accessToken, { user: code.user, scope: code.scope });
    const answer = { access_token: accessToken, token_type: "bearer", scope: code.scope };
    if (wantsJson(req)) return json(res, 200, answer);
    res.writeHead(200, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" });
    res.end(new URLSearchParams(answer).toString());
  }

  function api(req: IncomingMessage, path: string, res: ServerResponse) {
    const auth = req.headers.authorization;
    requests.api.push({ path, auth });
    const m = /^(?:bearer|token)\s+(\S+)$/i.exec(auth ?? "");
    const grant = m?.[1] ? tokens.get(m[1]) : undefined;
    if (!grant)
      return json(res, 401, {
        message: "Bad credentials",
        documentation_url: "https://docs.github.com/rest",
        status: "401",
      });
    const u = grant.user;
    if (path === "/user")
      return json(res, 200, { id: u.id, login: u.login, name: u.name ?? null, email: u.email ?? null });
    const scopes = grant.scope.split(",");
    if (!scopes.includes("user:email") && !scopes.includes("user")) {
      return json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
    }
    const emails = u.emails.map((e) => ({
      ...e,
      visibility: e.primary && u.email === e.email ? "public" : e.primary ? "private" : null,
    }));
    return json(res, 200, emails);
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
    url,
    clientId,
    clientSecret,
    requests,
    setUser(u) {
      user = { ...u, emails: u.emails.map((e) => ({ ...e })) };
    },
    setFault(f, on = ["token"]) {
      fault = f;
      faultOn = new Set(on);
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function endpointOf(method: string, path: string): GithubEndpoint | null {
  if (path === "/login/oauth/authorize" && method === "GET") return "authorize";
  if (path === "/login/oauth/access_token" && method === "POST") return "token";
  if ((path === "/user" || path === "/user/emails") && method === "GET") return "api";
  return null;
}

function errorUri(error: string): string {
  return `https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#${error.replace(/_/g, "-")}`;
}

// GitHub reports token errors with status 200; the body follows the Accept header like a success does.
function tokenError(req: IncomingMessage, res: ServerResponse, error: string, description: string) {
  const answer = { error, error_description: description, error_uri: errorUri(error) };
  if (wantsJson(req)) return json(res, 200, answer);
  res.writeHead(200, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" });
  res.end(new URLSearchParams(answer).toString());
}

function wantsJson(req: IncomingMessage): boolean {
  return (req.headers.accept ?? "").includes("application/json");
}

function parseBody(req: IncomingMessage, body: Buffer): Record<string, string> {
  const text = body.toString();
  if ((req.headers["content-type"] ?? "").includes("application/json")) {
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function parseBasic(header: string | undefined): { id: string; secret: string } | null {
  const m = /^basic\s+(\S+)$/i.exec(header ?? "");
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], "base64").toString();
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  const unform = (s: string) => new URLSearchParams(`v=${s}`).get("v") ?? "";
  return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
