import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";

const PASSWORD = "correct horse battery";

for (const dialect of flowDialects()) {
  describe(`sessions, roles and mechanisms (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect });
      await app.rampart.api.createRole({ name: "admin", permissions: ["users:read", "users:write"] });
      for (const email of ["alice@x.test", "bob@x.test", "carol@x.test", "dave@x.test", "erin@x.test"]) {
        await app.rampart.api.createUser({ email, password: PASSWORD });
      }
    });
    after(() => app.close());

    it("lists the caller's sessions without secrets and revokes one, the others, or all", async () => {
      const a1 = app.client();
      const a2 = app.client();
      const a3 = app.client();
      const l1 = await a1.login("alice@x.test", PASSWORD);
      await a2.login("alice@x.test", PASSWORD);
      await a3.login("alice@x.test", PASSWORD);
      const list = await a1.get("/sessions", { acceptJson: true });
      assert.equal(list.status, 200);
      const sessions = list.json.response.sessions as { id: string; current: boolean }[];
      assert.equal(sessions.length, 3);
      assert.equal(sessions.filter((s) => s.current).length, 1);
      assert.deepEqual(Object.keys(sessions[0]!).sort(), [
        "created_at",
        "current",
        "expires_at",
        "id",
        "ip",
        "kind",
        "last_active_at",
        "user_agent",
      ]);
      assert.ok(sessions.every((s) => (s as { kind?: string }).kind === "session"));
      assert.ok(!list.body.includes(a1.jar.get("__Host-rampart_session")!));

      const csrf = l1.json.response.csrf_token;
      const a2Id = (await a2.get("/sessions", { acceptJson: true })).json.response.sessions.find(
        (s: any) => s.current,
      ).id;
      const one = await a1.post("/sessions/revoke", { json: { id: a2Id }, headers: { "x-csrf-token": csrf } });
      assert.equal(one.status, 200);
      assert.equal(one.json.response.revoked, 1);
      assert.equal((await a2.get("/api/protected", { acceptJson: true })).status, 401);
      assert.equal((await a3.get("/api/protected", { acceptJson: true })).status, 200);

      const others = await a1.post("/sessions/revoke", {
        json: { scope: "others" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(others.json.response.revoked, 1);
      assert.equal((await a3.get("/api/protected", { acceptJson: true })).status, 401);
      assert.equal((await a1.get("/api/protected", { acceptJson: true })).status, 200);

      const all = await a1.post("/sessions/revoke", { json: { scope: "all" }, headers: { "x-csrf-token": csrf } });
      assert.equal(all.status, 200);
      assert.equal((await a1.get("/api/protected", { acceptJson: true })).status, 401);
      const audit = await app.rampart.api.auditEvents({ event: "session_revoked" });
      assert.ok(audit.length >= 3);
    });

    it("someone else's session id answers like an unknown id and stays alive", async () => {
      const alice = app.client();
      const bob = app.client();
      const la = await alice.login("alice@x.test", PASSWORD);
      await bob.login("bob@x.test", PASSWORD);
      const bobId = (await bob.get("/sessions", { acceptJson: true })).json.response.sessions[0].id;
      const theirs = await alice.post("/sessions/revoke", {
        json: { id: bobId },
        headers: { "x-csrf-token": la.json.response.csrf_token },
      });
      const unknown = await alice.post("/sessions/revoke", {
        json: { id: "no-such-session" },
        headers: { "x-csrf-token": la.json.response.csrf_token },
      });
      assert.equal(theirs.status, 400);
      assert.deepEqual(theirs.json, unknown.json);
      assert.equal((await bob.get("/api/protected", { acceptJson: true })).status, 200);
    });

    it("a role check answers 403 JSON without the role, and a grant rotates the session token", async () => {
      const c = app.client();
      await c.login("carol@x.test", PASSWORD);
      const denied = await c.get("/api/admin", { acceptJson: true });
      assert.equal(denied.status, 403);
      assert.deepEqual(denied.json.response.errors, ["You do not have permission to view this resource."]);
      const before = c.jar.get("__Host-rampart_session");
      const carol = (await app.rampart.api.findUser("carol@x.test"))!;
      assert.equal(await app.rampart.api.addRoleToUser(carol, "admin"), true);
      const ok = await c.get("/api/admin", { acceptJson: true });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json.response.roles, ["admin"]);
      assert.notEqual(c.jar.get("__Host-rampart_session"), before, "privilege change rotated the token");
      const stale = await app
        .client()
        .get("/api/admin", { acceptJson: true, headers: { cookie: `__Host-rampart_session=${before}` } });
      assert.equal(stale.status, 401);
      await app.rampart.api.removeRoleFromUser(carol, "admin");
      assert.equal((await c.get("/api/admin", { acceptJson: true })).status, 403, "removal effective at once");
    });

    it("HTTP basic: 401 with WWW-Authenticate without or with bad credentials, 200 with good ones", async () => {
      const guard = app.rampart.guards;
      const call = (authorization?: string) =>
        guard.check(
          new Request("https://app.test/api/basic", {
            headers: { ...(authorization ? { authorization } : {}), accept: "application/json" },
          }),
          guard.authRequired("basic"),
        );
      const none = await call();
      assert.equal(none.ok, false);
      if (!none.ok) {
        assert.equal(none.response.status, 401);
        assert.equal(none.response.headers.get("www-authenticate"), 'Basic realm="Login Required"');
      }
      const bad = await call("Basic " + Buffer.from("dave@x.test:nope").toString("base64"));
      assert.equal(bad.ok, false);
      const good = await call("Basic " + Buffer.from(`dave@x.test:${PASSWORD}`).toString("base64"));
      assert.equal(good.ok, true);
      const garbage = await call("Basic %%%");
      assert.equal(garbage.ok, false);
    });

    it("sessions end after the idle timeout and at the absolute lifetime", async () => {
      const c = app.client();
      await c.login("erin@x.test", PASSWORD);
      app.advance(50 * 60);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200, "active within idle window");
      app.advance(50 * 60);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200, "activity extended it");
      app.advance(61 * 60);
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401, "idle too long");
      app.advance(-(161 * 60));

      const d = app.client();
      await d.login("erin@x.test", PASSWORD);
      for (let i = 0; i < 25; i++) {
        app.advance(59 * 60);
        const r = await d.get("/api/protected", { acceptJson: true });
        if (i < 24) assert.equal(r.status, 200, `keep-alive ${i}`);
        else assert.equal(r.status, 401, "absolute lifetime reached");
      }
      app.advance(-(25 * 59 * 60));
    });

    it("remember-me restores a session after the session cookie is gone, until the uniquifier rotates", async () => {
      const c = app.client();
      const r = await c.login("dave@x.test", PASSWORD, { remember: true });
      assert.ok(
        r.setCookies.some(
          (s) => s.startsWith("__Host-remember_token=") && /HttpOnly/.test(s) && /Max-Age=2592000/.test(s),
        ),
      );
      c.jar.delete("__Host-rampart_session");
      const restored = await c.get("/api/protected", { acceptJson: true });
      assert.equal(restored.status, 200);
      assert.ok(c.jar.get("__Host-rampart_session"), "a new session cookie was issued");
      const dave = (await app.rampart.api.findUser("dave@x.test"))!;
      await app.rampart.api.resetAccess(dave);
      c.jar.delete("__Host-rampart_session");
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
    });

    it("password change by the admin kills sessions and tokens; deactivation too, and reactivation does not revive them", async () => {
      const c = app.client();
      const r = await c.login("bob@x.test", PASSWORD, {}, "?include_auth_token");
      const token = r.json.response.user.authentication_token;
      const bob = (await app.rampart.api.findUser("bob@x.test"))!;
      await app.rampart.api.changePassword(bob, "a brand new password");
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
      assert.equal(
        (await app.client().get("/api/protected", { acceptJson: true, headers: { "authentication-token": token } }))
          .status,
        401,
      );

      const c2 = app.client();
      const r2 = await c2.login("bob@x.test", "a brand new password", {}, "?include_auth_token");
      const token2 = r2.json.response.user.authentication_token;
      await app.rampart.api.deactivateUser(bob);
      assert.equal((await c2.get("/api/protected", { acceptJson: true })).status, 401);
      assert.equal(
        (await app.client().get("/api/protected", { acceptJson: true, headers: { "authentication-token": token2 } }))
          .status,
        401,
      );
      await app.rampart.api.activateUser(bob);
      assert.equal((await c2.get("/api/protected", { acceptJson: true })).status, 401, "session not resurrected");
    });
  });
}
