import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import {
  authRequired,
  methodRules,
  rampartRoutes,
  type RampartEnv,
  type RampartOptionalEnv,
} from "../../src/adapters/hono.js";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";

/**
 * Per-route mechanism lists behave as Flask-Security's auth_required: only the named mechanisms authenticate, in
 * the order given; and per-method rules let a route be public for reads and guarded for writes.
 */
const PASSWORD = "correct horse battery";
const ALICE = "a.lice-Guard+mech@Sub.Example.test";
const ADMIN = "Admin.Guard@x.test";

for (const dialect of flowDialects()) {
  describe(`guard mechanisms and per-method rules (${dialect})`, () => {
    let app: TestApp;
    let web: { fetch(request: Request): Response | Promise<Response> };
    const client = () => new TestClient((request) => Promise.resolve(web.fetch(request)));
    let token = "";

    before(async () => {
      app = await createTestApp({ dialect });
      await app.rampart.api.createRole({ name: "admin" });
      await app.rampart.api.createUser({ email: ALICE, password: PASSWORD });
      await app.rampart.api.createUser({ email: ADMIN, password: PASSWORD, roles: ["admin"] });
      const { rampart } = app;
      const how = new Hono<RampartEnv>();
      how.use(rampartRoutes(rampart));
      const via = (c: { get(k: "rampart"): { via: string } }) => ({
        meta: { code: 200 },
        response: { via: c.get("rampart").via },
      });
      how.get("/api/token-only", authRequired(rampart, "token"), (c) => c.json(via(c)));
      how.get("/api/session-only", authRequired(rampart, "session"), (c) => c.json(via(c)));
      how.get("/api/token-first", authRequired(rampart, "token", "session"), (c) => c.json(via(c)));
      how.get("/api/session-first", authRequired(rampart, "session", "token"), (c) => c.json(via(c)));
      const items = new Hono<RampartOptionalEnv>();
      items.use(
        "/api/items",
        methodRules(rampart, {
          GET: "public",
          HEAD: "public",
          DELETE: rampart.guards.rolesRequired("admin"),
          default: rampart.guards.authRequired("token", "session"),
        }),
      );
      const answer = (c: { get(k: "rampart"): { via: string; user: { email: string } } | undefined }) => ({
        meta: { code: 200 },
        response: { caller: c.get("rampart")?.user.email ?? null, via: c.get("rampart")?.via ?? null },
      });
      items.get("/api/items", (c) => c.json(answer(c)));
      items.post("/api/items", (c) => c.json(answer(c)));
      items.delete("/api/items", (c) => c.json(answer(c)));
      how.route("/", items);
      web = how;
      const signIn = async (email: string) => {
        const r = await client().login(email, PASSWORD, {}, "?include_auth_token");
        assert.equal(r.status, 200, r.body);
        return r.json.response.user.authentication_token as string;
      };
      token = await signIn(ALICE);
    });
    after(() => app?.close());

    const tokenHeader = (t: string) => ({ acceptJson: true, headers: { "authentication-token": t } });

    it('authRequired("token") refuses a session cookie; authRequired("session") refuses a token', async () => {
      const c = client();
      assert.equal((await c.login(ALICE, PASSWORD)).status, 200);
      const cookieOnToken = await c.get("/api/token-only", { acceptJson: true });
      assert.equal(cookieOnToken.status, 401);
      assert.deepEqual(cookieOnToken.json.response.error_codes, ["UNAUTHENTICATED"]);
      assert.equal((await c.get("/api/session-only", { acceptJson: true })).json.response.via, "session");

      const tokenOnSession = await client().get("/api/session-only", tokenHeader(token));
      assert.equal(tokenOnSession.status, 401, "a token does not satisfy auth_required('session')");
      assert.equal((await client().get("/api/token-only", tokenHeader(token))).json.response.via, "token");
    });

    it("the order of the mechanisms is honoured when a request carries both", async () => {
      const c = client();
      assert.equal((await c.login(ALICE, PASSWORD)).status, 200);
      assert.equal((await c.get("/api/token-first", tokenHeader(token))).json.response.via, "token");
      assert.equal((await c.get("/api/session-first", tokenHeader(token))).json.response.via, "session");
    });

    it("per-method rules: GET and HEAD are public, POST needs a caller, DELETE needs the admin role", async () => {
      const anon = await client().get("/api/items", { acceptJson: true });
      assert.equal(anon.status, 200, anon.body);
      assert.deepEqual(anon.json.response, { caller: null, via: null });
      assert.equal((await client().request("HEAD", "/api/items")).status, 200);
      // A public read looks nobody up, even with a token.
      assert.deepEqual((await client().get("/api/items", tokenHeader(token))).json.response, {
        caller: null,
        via: null,
      });

      const anonPost = await client().post("/api/items", { json: {} });
      assert.equal(anonPost.status, 401);
      const s = client();
      const login = await s.login(ALICE, PASSWORD);
      const csrf = login.json.response.csrf_token as string;
      assert.equal((await s.post("/api/items", { json: {} })).status, 400, "a session's write still needs CSRF");
      const written = await s.post("/api/items", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(written.status, 200, written.body);
      assert.equal(written.json.response.via, "session");

      const deleted = await s.request("DELETE", "/api/items", { acceptJson: true, headers: { "x-csrf-token": csrf } });
      assert.equal(deleted.status, 403, "DELETE has its own rule: the admin role");
      assert.equal((await client().request("DELETE", "/api/items", { acceptJson: true })).status, 401);
      const admin = client();
      const adminCsrf = (await admin.login(ADMIN, PASSWORD)).json.response.csrf_token as string;
      const byAdmin = await admin.request("DELETE", "/api/items", {
        acceptJson: true,
        headers: { "x-csrf-token": adminCsrf },
      });
      assert.equal(byAdmin.status, 200, byAdmin.body);
      assert.equal(byAdmin.json.response.caller, (await app.rampart.api.findUser(ADMIN))!.email);
    });

    it("an unsafe method can never be declared public", () => {
      assert.throws(
        () => app.rampart.guards.methodRules({ POST: "public", default: {} } as never),
        /POST cannot be public/,
      );
      assert.deepEqual(app.rampart.guards.ruleFor("post", { default: "public" } as never), {});
    });

    it("HEAD is never weaker than GET: a public HEAD next to a guarded GET is refused at definition", () => {
      const { guards } = app.rampart;
      const admin = guards.rolesRequired("admin");
      assert.throws(
        () => guards.methodRules({ GET: admin, HEAD: "public", default: {} } as never),
        /HEAD runs the GET/,
      );
      assert.throws(() => guards.methodRules({ HEAD: {}, default: {} } as never), /HEAD runs the GET/);
      // Rules that skipped the check (JavaScript) still resolve HEAD to GET's rule.
      assert.deepEqual(guards.ruleFor("head", { GET: admin, HEAD: "public", default: {} } as never), admin);
      assert.deepEqual(guards.ruleFor("HEAD", { GET: admin, default: {} }), admin);
      assert.equal(guards.ruleFor("HEAD", { GET: "public", default: {} }), "public", "HEAD takes GET's rule");
      assert.deepEqual(guards.ruleFor("HEAD", { GET: "public", HEAD: admin, default: {} }), admin);
    });
  });
}
