import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { revokeSessionsRoute, sessionsRoute } from "./sessions.js";

/** POST /sessions/revoke and api.revokeSessions are one operation: the same event, audit row and clean-up. */
const PASSWORD = "correct horse battery";

for (const dialect of flowDialects()) {
  describe(`revoking sessions from HTTP and from code (${dialect})`, () => {
    let app: TestApp;
    let n = 0;
    const events: { email: string; count: number; scope: string }[] = [];
    before(async () => {
      app = await createTestApp({ dialect });
      app.rampart.events.on(
        "session_revoked",
        ({ user, sessionIds, scope }) => void events.push({ email: user.email, count: sessionIds.length, scope }),
      );
    });
    after(() => app.close());

    const newUser = async () => {
      const email = `Some.One+${++n}@Sub.Example-Host.test`;
      await app.rampart.api.createUser({ email, password: PASSWORD });
      return email;
    };
    const currentId = async (c: TestClient) =>
      (await c.get("/sessions", { acceptJson: true })).json.response.sessions.find(
        (s: { current: boolean }) => s.current,
      ).id as string;
    const alive = async (c: TestClient) => (await c.get("/api/protected", { acceptJson: true })).status === 200;

    it("api.revokeSessions emits session_revoked and audits as the HTTP endpoint does (one, all)", async () => {
      const email = await newUser();
      const user = (await app.rampart.api.findUser(email))!;
      const [a, b, c] = [app.client(), app.client(), app.client()];
      const login = await a.login(email, PASSWORD);
      await b.login(email, PASSWORD);
      await c.login(email, PASSWORD);
      events.length = 0;

      const viaHttp = await a.post("/sessions/revoke", {
        json: { id: await currentId(b) },
        headers: { "x-csrf-token": login.json.response.csrf_token },
      });
      assert.equal(viaHttp.json.response.revoked, 1);
      assert.equal(await app.rampart.api.revokeSessions(user, { id: await currentId(c) }), 1);
      assert.deepEqual(events, [
        { email: user.email, count: 1, scope: "one" },
        { email: user.email, count: 1, scope: "one" },
      ]);
      assert.equal(await alive(b), false);
      assert.equal(await alive(c), false);
      assert.equal(await alive(a), true);

      assert.equal(await app.rampart.api.revokeSessions(user, { scope: "all" }), 1);
      assert.deepEqual(events.at(-1), { email: user.email, count: 1, scope: "all" });
      assert.equal(await alive(a), false);

      const rows = (await app.rampart.api.auditEvents({ event: "session_revoked", userId: user.id })).map((e) => ({
        agent: e.userAgent,
        details: e.details,
      }));
      assert.equal(rows.length, 3);
      assert.deepEqual(rows.find((r) => r.agent === "api" && r.details?.scope === "all")?.details, {
        by: "admin",
        scope: "all",
        count: 1,
      });
      assert.deepEqual(
        rows.filter((r) => r.agent === "api" && r.details?.scope === "one").map((r) => r.details),
        [{ by: "admin", scope: "one", count: 1 }],
      );
      assert.deepEqual(
        rows.filter((r) => r.agent !== "api").map((r) => r.details),
        [{ by: "self", scope: "one", count: 1 }],
      );
    });

    it("an id that is not the user's: 0 from the api, nothing ended, no event", async () => {
      const owner = await newUser();
      const other = await newUser();
      const c = app.client();
      await c.login(owner, PASSWORD);
      events.length = 0;
      const stranger = (await app.rampart.api.findUser(other))!;
      assert.equal(await app.rampart.api.revokeSessions(stranger, { id: await currentId(c) }), 0);
      assert.equal(await app.rampart.api.revokeSessions(stranger, { id: "no-such-session" }), 0);
      assert.deepEqual(events, []);
      assert.equal(await alive(c), true);
    });

    it("answers match the declared output schemas; a browser naming an unknown id goes back to the list", async () => {
      const email = await newUser();
      const c = app.client();
      const login = await c.login(email, PASSWORD);
      const list = await c.get("/sessions", { acceptJson: true });
      sessionsRoute("/sessions").output!.parse(list.json.response);
      const others = await c.post("/sessions/revoke", {
        json: { scope: "others" },
        headers: { "x-csrf-token": login.json.response.csrf_token },
      });
      assert.equal(others.status, 200);
      revokeSessionsRoute("/sessions/revoke").output!.parse(others.json.response);
      assert.equal(typeof others.json.response.csrf_token, "string", "the caller's session goes on: a new token");

      const page = await c.get("/sessions");
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1]!;
      const gone = await c.post("/sessions/revoke", { form: { id: "no-such-session", csrf_token: csrf } });
      assert.equal(gone.status, 302);
      assert.equal(gone.location, "/sessions");
      const missing = await c.post("/sessions/revoke", { form: { csrf_token: csrf } });
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.json.response.error_codes, ["INVALID_SESSION_ID"]);

      const all = await c.post("/sessions/revoke", { json: { scope: "all" }, headers: { "x-csrf-token": csrf } });
      revokeSessionsRoute("/sessions/revoke").output!.parse(all.json.response);
      assert.equal(all.json.response.csrf_token, undefined, "no token for a session that ended");
    });
  });
}
