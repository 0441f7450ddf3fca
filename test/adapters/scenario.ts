import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import type { UserRecord } from "../../src/datastore/contracts.js";
import { answerHeadersScenario, SPA_ORIGIN } from "./answer-headers.js";
import type { RampartAuth } from "../../src/adapters/node.js";
import type { MethodRules } from "../../src/index.js";

/**
 * The one scenario every adapter passes, over real HTTP on 127.0.0.1. Each adapter test builds an app with:
 *   GET  /health          → 200 "ok" (no Rampart)
 *   GET  /api/protected   loginRequired      → { response: { email, via } }
 *   GET  /api/admin       rolesRequired admin → { response: { roles } }
 *   GET  /api/fresh       freshRequired 60    → { response: { fresh: true } }
 *   POST /api/echo        loginRequired      → { response: { email, body } } (body: the JSON the app read)
 *   GET  /api/me          loginRequired      → the guard's user as is (`res.json(req.rampart.user)`)
 *   GET  /api/how         loginRequired      → how the caller authenticated (`howAnswer(req.rampart)`)
 *   GET  /api/how-basic   authRequired basic → the same, for HTTP basic only
 *   GET|POST /api/items   methodRules { GET: "public", default: {} } → { response: { caller } } (email or null)
 *   GET|HEAD /api/reports methodRules { GET: admin, default: {} } → header x-report, { response: { report } }
 * and Rampart's own routes mounted through the adapter.
 */
export interface Started {
  base: string;
  close(): Promise<void>;
}

export interface ScenarioOptions {
  /** The guard sees a `csrf_token` field of a body the app parsed (not so for node, which leaves the stream alone). */
  csrfFieldInBody: boolean;
  /** An early answer to a huge unread body closes the connection (Rampart's node conversions; not @hono/node-server). */
  closesAfterHugeUnreadBody?: boolean;
}

export const EMAIL = "alice@example.com";
export const PASSWORD = "correct horse battery staple";

/** The JSON body every app route answers with. */
export function ok(response: Record<string, unknown>): { meta: { code: number }; response: Record<string, unknown> } {
  return { meta: { code: 200 }, response };
}

/** What a guard says about how the caller authenticated, as the app routes /api/how and /api/how-basic answer it. */
export function howAnswer(auth: RampartAuth): ReturnType<typeof ok> {
  // Typed fields: a wrong name or type here does not compile.
  const via: "session" | "token" | "jwt" | "basic" = auth.via;
  const amr: string[] = auth.amr;
  const tokenExpiresAt: Date | null = auth.tokenExpiresAt;
  const authenticatedAt: Date | null = auth.authenticatedAt;
  return ok({
    via,
    mechanism: auth.mechanism,
    amr,
    tokenExpiresAt: tokenExpiresAt?.toISOString() ?? null,
    authenticatedAt: authenticatedAt?.toISOString() ?? null,
  });
}

/** The rules of /api/items. */
export const ITEM_RULES = { GET: "public", default: {} } as const;

/**
 * The rules of /api/reports: GET needs the admin role; HEAD has no rule of its own. Every framework answers HEAD
 * with the GET handler (which sets REPORT_HEADER), so HEAD must get GET's rule, not the weaker default.
 */
export const REPORT_RULES: MethodRules = { GET: { rolesRequired: ["admin"] }, default: {} };
export const REPORT_HEADER = "x-report";

/** What /api/items answers: who called, when a guard looked (null on the public GET). */
export function itemsAnswer(auth: RampartAuth | null | undefined): ReturnType<typeof ok> {
  return ok({ caller: auth?.user.email ?? null });
}

/** Waits for a node server to listen on an ephemeral 127.0.0.1 port and returns its base URL and closer. */
export async function listening(server: Server): Promise<Started> {
  if (!server.listening)
    await new Promise<void>((resolve, reject) => server.once("listening", resolve).once("error", reject));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function adapterScenario(
  name: string,
  start: (app: TestApp) => Promise<Started>,
  options: ScenarioOptions,
): void {
  describe(`${name} adapter over real HTTP`, { timeout: 60_000 }, () => {
    let app: TestApp;
    let server: Started;
    let user: UserRecord;
    let client: TestClient;
    let csrf = "";

    before(async () => {
      // Plain-http cookies: no __Host- prefix, no Secure flag.
      // No freshness grace period: the stale-session test checks the window itself.
      app = await createTestApp({
        config: {
          session: { cookieSecure: false },
          freshness: { gracePeriodSeconds: 0 },
          cors: { allowedOrigins: [SPA_ORIGIN] },
        },
      });
      await app.rampart.api.createRole({ name: "admin" });
      await app.rampart.api.createRole({ name: "reader" });
      user = await app.rampart.api.createUser({ email: EMAIL, password: PASSWORD, roles: ["reader"], confirmed: true });
      server = await start(app);
      client = new TestClient(fetch, server.base);
    });

    after(async () => {
      await server?.close();
      await app?.close();
    });

    it("leaves the app's own routes to the app, and 404s what nobody serves", async () => {
      const health = await client.get("/health");
      assert.equal(health.status, 200);
      assert.equal(health.body, "ok");
      assert.equal((await client.get("/nothing-here", { acceptJson: true })).status, 404);
      assert.equal((await client.get("/nothing-here")).status, 404);
    });

    it("refuses anonymous callers: redirect for HTML, 401 JSON for JSON", async () => {
      const html = await client.get("/api/protected", { headers: { accept: "text/html" } });
      assert.equal(html.status, 302);
      assert.equal(html.location, "/login?next=%2Fapi%2Fprotected");
      const json = await client.get("/api/protected", { acceptJson: true });
      assert.equal(json.status, 401);
      assert.equal(json.json.meta.code, 401);
      assert.ok(Array.isArray(json.json.response.errors));
    });

    it("signs in with JSON + CSRF, keeping every Set-Cookie and the client's IP", async () => {
      const login = await client.get("/login", { acceptJson: true });
      assert.equal(login.status, 200);
      const anon = login.json.response.csrf_token as string;
      assert.equal(typeof anon, "string");
      const refused = await client.post("/login", { json: { email: EMAIL, password: PASSWORD } });
      assert.equal(refused.status, 400, "login without CSRF is refused");
      const r = await client.post("/login", {
        json: { email: EMAIL, password: PASSWORD, remember: true },
        headers: { "x-csrf-token": anon },
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.response.user.email, EMAIL);
      csrf = r.json.response.csrf_token as string;
      assert.ok(csrf);
      const names = r.setCookies.map((c) => c.split("=")[0]);
      assert.ok(
        names.includes("rampart_session") && names.includes("remember_token"),
        `both cookies arrive: ${names.join(", ")}`,
      );
      assert.ok(client.jar.has("rampart_session") && client.jar.has("remember_token"));
      const sessions = await app.rampart.api.listSessions(user);
      assert.equal(sessions.length, 1);
      assert.match(sessions[0]!.ip ?? "", /127\.0\.0\.1$/, "the socket peer address reached Rampart");
    });

    it("lets the session through loginRequired", async () => {
      const r = await client.get("/api/protected", { acceptJson: true });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(r.json.response, { email: EMAIL, via: "session" });
    });

    it("per-method rules: a public GET looks nobody up; a POST needs a caller (and a session's CSRF token)", async () => {
      const anon = new TestClient(fetch, server.base);
      const read = await anon.get("/api/items", { acceptJson: true });
      assert.equal(read.status, 200, read.body);
      assert.deepEqual(read.json.response, { caller: null });
      assert.deepEqual((await client.get("/api/items", { acceptJson: true })).json.response, { caller: null });
      assert.equal((await anon.post("/api/items", { json: {} })).status, 401);
      assert.equal((await client.post("/api/items", { json: {} })).status, 400, "CSRF still applies to writes");
      const written = await client.post("/api/items", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(written.status, 200, written.body);
      assert.deepEqual(written.json.response, { caller: EMAIL });
    });

    it("per-method rules: HEAD is held to GET's rule, since the GET handler answers it", async () => {
      const anon = new TestClient(fetch, server.base);
      const anonHead = await anon.request("HEAD", "/api/reports", { acceptJson: true });
      assert.equal(anonHead.status, 401);
      assert.equal(anonHead.headers.get(REPORT_HEADER), null, "the GET handler did not run");
      // Signed in but not an admin: the default rule ({}) would let this through; GET's rule does not.
      const head = await client.request("HEAD", "/api/reports", { acceptJson: true });
      assert.equal(head.status, 403);
      assert.equal(head.headers.get(REPORT_HEADER), null, "the GET handler did not run");
      assert.equal((await client.get("/api/reports", { acceptJson: true })).status, 403);
    });

    it("tells the app how a session caller authenticated: via, amr, sign-in time, no token expiry", async () => {
      const r = await client.get("/api/how", { acceptJson: true });
      assert.equal(r.status, 200, r.body);
      const how = r.json.response;
      assert.deepEqual(
        { via: how.via, mechanism: how.mechanism, amr: how.amr, tokenExpiresAt: how.tokenExpiresAt },
        { via: "session", mechanism: "session", amr: ["pwd"], tokenExpiresAt: null },
      );
      const [session] = await app.rampart.api.listSessions(user);
      assert.equal(how.authenticatedAt, session!.authenticatedAt.toISOString());
    });

    it("tells the app an HTTP basic caller authenticated by password now, and refuses a session where basic is required", async () => {
      const bare = new TestClient(fetch, server.base);
      const authorization = "Basic " + Buffer.from(`${EMAIL}:${PASSWORD}`).toString("base64");
      const before = Math.floor(app.runtime.now().getTime() / 1000);
      const r = await bare.get("/api/how-basic", { acceptJson: true, headers: { authorization } });
      assert.equal(r.status, 200, r.body);
      const how = r.json.response;
      assert.deepEqual(
        { via: how.via, amr: how.amr, tokenExpiresAt: how.tokenExpiresAt },
        { via: "basic", amr: ["pwd"], tokenExpiresAt: null },
      );
      assert.ok(Date.parse(how.authenticatedAt as string) >= before * 1000);
      const session = await client.get("/api/how-basic", { acceptJson: true });
      assert.equal(session.status, 401, "a session does not satisfy a basic-only guard");
    });

    it("hands the app a public user view: sending it as is reveals no secret of the row", async () => {
      const users = app.runtime.datastore.users;
      // Every secret column gets a recognizable value, so its absence from the answer is meaningful.
      await users.update(user.id, {
        tfTotpSecret: "TFTOTPSECRETVALUE234567ABCDEFGH",
        tfPhoneNumber: "+15555550123",
        usTotpSecrets: JSON.stringify({ authenticator: "USTOTPSECRETVALUE234567ABCDEF" }),
        usPhoneNumber: "+15555550177",
        mfRecoveryCodes: JSON.stringify(["RECOVERYCODEONE1", "RECOVERYCODETWO2"]),
        fsWebauthnUserHandle: "WEBAUTHNHANDLEVALUE",
      });
      try {
        await app.rampart.api.issueAuthToken(user); // gives the row a token uniquifier
        const row = (await users.findById(user.id))!;
        const r = await client.get("/api/me", { acceptJson: true });
        assert.equal(r.status, 200, r.body);
        const view = JSON.parse(r.body) as Record<string, unknown>;
        assert.equal(view.email, EMAIL);
        assert.equal(view.id, user.id);
        assert.equal(view.active, true);
        assert.ok(view.confirmedAt, "confirmation time is part of the view");
        const secrets = [
          row.password,
          row.fsUniquifier,
          row.fsTokenUniquifier,
          "TFTOTPSECRETVALUE234567ABCDEFGH",
          "5555550123",
          "USTOTPSECRETVALUE234567ABCDEF",
          "5555550177",
          "RECOVERYCODEONE1",
          "WEBAUTHNHANDLEVALUE",
        ];
        for (const secret of secrets) {
          assert.ok(secret, "the row has the value");
          assert.ok(!r.body.includes(secret!), `the answer leaks ${secret}: ${r.body}`);
        }
        for (const key of [
          "password",
          "fsUniquifier",
          "fsTokenUniquifier",
          "tfTotpSecret",
          "usTotpSecrets",
          "mfRecoveryCodes",
          "tfPhoneNumber",
          "usPhoneNumber",
        ]) {
          assert.ok(!(key in view), `no ${key} key`);
        }
        // The framework-neutral guard hands out the same view.
        const outcome = await app.rampart.guards.check(
          new Request(`${server.base}/api/me`, { headers: { cookie: client.cookieHeader() } }),
        );
        assert.ok(outcome.ok);
        const text = JSON.stringify(outcome);
        for (const secret of secrets) assert.ok(!text.includes(secret!), `guards.check leaks ${secret}`);
      } finally {
        await users.update(user.id, {
          tfTotpSecret: null,
          tfPhoneNumber: null,
          usTotpSecrets: null,
          usPhoneNumber: null,
          mfRecoveryCodes: null,
          fsWebauthnUserHandle: null,
        });
      }
    });

    it("enforces CSRF on unsafe app routes for cookie sessions, and the app still reads its body", async () => {
      const missing = await client.post("/api/echo", { json: { hello: "world" } });
      assert.equal(missing.status, 400, missing.body);
      assert.deepEqual(missing.json.response.error_codes, ["CSRF_MISSING"]);
      const r = await client.post("/api/echo", { json: { hello: "world" }, headers: { "x-csrf-token": csrf } });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(r.json.response, { email: EMAIL, body: { hello: "world" } });
      if (options.csrfFieldInBody) {
        const field = await client.post("/api/echo", { json: { hello: "field", csrf_token: csrf } });
        assert.equal(field.status, 200, field.body);
        assert.deepEqual(field.json.response.body, { hello: "field", csrf_token: csrf });
      }
    });

    it("answers 403 without the role and 200 with it, applying the guard's rotated session cookie", async () => {
      const denied = await client.get("/api/admin", { acceptJson: true });
      assert.equal(denied.status, 403);
      assert.equal(denied.json.meta.code, 403);
      const before = client.jar.get("rampart_session");
      await app.rampart.api.addRoleToUser(user, "admin");
      const allowed = await client.get("/api/admin", { acceptJson: true });
      assert.equal(allowed.status, 200, allowed.body);
      assert.deepEqual((allowed.json.response.roles as string[]).sort(), ["admin", "reader"]);
      assert.ok(
        allowed.setCookies.some((c) => c.startsWith("rampart_session=")),
        "the rotated session cookie reaches the client",
      );
      assert.notEqual(client.jar.get("rampart_session"), before);
      assert.equal((await client.get("/api/protected", { acceptJson: true })).status, 200, "the rotated session works");
    });

    it("asks for re-authentication once the sign-in is older than freshRequired's window", async () => {
      assert.equal((await client.get("/api/fresh", { acceptJson: true })).status, 200);
      app.advance(120);
      const stale = await client.get("/api/fresh", { acceptJson: true });
      assert.equal(stale.status, 401);
      assert.equal(stale.json.response.reauth_required, true);
      const html = await client.get("/api/fresh", { headers: { accept: "text/html" } });
      assert.equal(html.status, 302);
      assert.equal(html.location, "/verify?next=%2Fapi%2Ffresh");
    });

    it("logs out with JSON + CSRF, after which the session is refused", async () => {
      const token = await client.csrf();
      const r = await client.post("/logout", { json: {}, headers: { "x-csrf-token": token } });
      assert.equal(r.status, 200, r.body);
      assert.ok(!client.jar.has("rampart_session") && !client.jar.has("remember_token"), "logout deletes both cookies");
      const after = await client.get("/api/protected", { acceptJson: true });
      assert.equal(after.status, 401);
      assert.equal(after.json.meta.code, 401);
    });

    it("accepts an auth token from POST /login?include_auth_token in the Authentication-Token header", async () => {
      const login = await new TestClient(fetch, server.base).login(EMAIL, PASSWORD, {}, "?include_auth_token");
      assert.equal(login.status, 200, login.body);
      const token = login.json.response.user.authentication_token as string;
      assert.ok(token);
      const bare = new TestClient(fetch, server.base);
      const r = await bare.get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(r.json.response, { email: EMAIL, via: "token" });
      const how = await bare.get("/api/how", { acceptJson: true, headers: { "authentication-token": token } });
      assert.equal(how.status, 200, how.body);
      assert.equal(how.json.response.via, "token");
      assert.deepEqual(how.json.response.amr, ["pwd"]);
      const expected = app.runtime.now().getTime() + app.runtime.config.token.maxAgeSeconds * 1000;
      const expiresAt = Date.parse(how.json.response.tokenExpiresAt as string);
      assert.ok(Math.abs(expiresAt - expected) < 5000, `token expiry ${how.json.response.tokenExpiresAt}`);
      assert.equal(
        (await bare.get("/api/protected", { acceptJson: true, headers: { "authentication-token": "forged" } })).status,
        401,
      );
      // RFC 6750: the same token as `Authorization: Bearer`; a bad one gets the invalid_token challenge through.
      const bearer = await bare.get("/api/protected", {
        acceptJson: true,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(bearer.status, 200, bearer.body);
      const junk = await bare.get("/api/protected", { acceptJson: true, headers: { authorization: "Bearer junk" } });
      assert.equal(junk.status, 401);
      assert.equal(junk.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
    });

    it("signs in with an HTML form (urlencoded body streamed to Rampart)", async () => {
      const browser = new TestClient(fetch, server.base);
      const token = await browser.csrf();
      const r = await browser.post("/login", { form: { email: EMAIL, password: PASSWORD, csrf_token: token } });
      assert.equal(r.status, 302, r.body);
      assert.equal((await browser.get("/api/protected", { acceptJson: true })).status, 200);
    });

    // An answer given before the body was read (413) must leave the connection usable: a moderate unread body
    // (here 1 MiB, more than the server buffers on its own) is discarded and the next request on the same
    // socket is served; a huge one gets `Connection: close`, so the client does not wait on a stalled socket.
    for (const framing of ["content-length", "chunked"] as const) {
      it(`keep-alive survives an early 413 (${framing} body): the next request on the same socket is served`, async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const first = await rawRequest(agent, server.base, "POST", "/login", Buffer.alloc(1024 * 1024, "a"), framing);
          assert.equal(first.status, 413, first.body);
          if (first.json) assert.deepEqual(JSON.parse(first.body).response.error_codes, ["BODY_TOO_LARGE"]);
          const second = await rawRequest(agent, server.base, "GET", "/login");
          assert.equal(second.status, 200, second.body);
          assert.equal(second.reusedSocket, true, "served on the same connection");
          assert.equal(second.localPort, first.localPort);
        } finally {
          agent.destroy();
        }
      });
    }

    if (options.closesAfterHugeUnreadBody !== false) {
      it("an early 413 to a huge declared body says Connection: close; the next request is served on a new one", async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const first = await rawRequest(agent, server.base, "POST", "/login", Buffer.alloc(32 * 1024 * 1024, "a"));
          assert.equal(first.status, 413, first.body);
          assert.equal(first.connection, "close");
          const second = await rawRequest(agent, server.base, "GET", "/login");
          assert.equal(second.status, 200, second.body);
        } finally {
          agent.destroy();
        }
      });
    }

    answerHeadersScenario(() => server.base, { email: EMAIL, password: PASSWORD });
  });
}

/** One request through `agent` (JSON accepted), the whole answer read; which socket carried it. */
function rawRequest(
  agent: http.Agent,
  base: string,
  method: string,
  path: string,
  body?: Buffer,
  framing: "content-length" | "chunked" = "content-length",
): Promise<{
  status: number;
  body: string;
  json: boolean;
  connection: string | undefined;
  reusedSocket: boolean;
  localPort: number | undefined;
}> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body) headers["content-type"] = "application/json";
    if (body && framing === "content-length") headers["content-length"] = String(body.length);
    const req = http.request(new URL(path, base), { method, agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      const json = /json/.test(res.headers["content-type"] ?? "");
      const localPort = req.socket?.localPort;
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: text,
          json,
          connection: res.headers.connection,
          reusedSocket: req.reusedSocket,
          localPort,
        }),
      );
      res.on("error", reject);
    });
    // The server may answer before it has read all of the body and then close: a write error after the answer
    // arrived is not the test's concern (the promise has settled).
    req.on("error", reject);
    if (body) req.end(body);
    else req.end();
  });
}
