import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { mobileClient, mobileConfig, newUser } from "./testing/kit.js";

/**
 * POST /sessions/revoke with families: ending an already ended family by id ends nothing (revoked 0), and the
 * `session_revoked` event names sessions only (families are announced by `refresh_tracker_revoked`).
 */
for (const dialect of flowDialects()) {
  describe(`revoking families from /sessions: counts and events (${dialect})`, () => {
    let app: TestApp;
    const sessionIds: string[] = [];
    const familyEvents: string[][] = [];
    before(async () => {
      app = await createTestApp({ dialect, config: mobileConfig });
      app.rampart.events.on("session_revoked", (e) => void sessionIds.push(...e.sessionIds));
      app.rampart.events.on("refresh_tracker_revoked", (e) => void familyEvents.push(e.familyIds));
    });
    after(() => app.close());

    it("a second revoke of one family answers revoked 0; no family id is ever given out as a session id", async () => {
      const m = mobileClient(app);
      const email = await newUser(app, "Sessions.Events");
      const a = await m.signIn(email);
      await m.signIn(email);
      const sessions = await m.send("GET", "/sessions", {
        headers: { "authentication-token": a.access },
        acceptJson: true,
      });
      const other = (sessions.json.response.sessions as { id: string; kind: string; current: boolean }[]).find(
        (s) => s.kind === "refresh_token" && !s.current,
      )!;
      const revoke = (body: Record<string, unknown>) =>
        m.send("POST", "/sessions/revoke", { json: body, headers: { "authentication-token": a.access } });

      const first = await revoke({ id: other.id });
      assert.equal(first.json.response.revoked, 1, first.body);
      const again = await revoke({ id: other.id });
      assert.equal(again.status, 200, again.body);
      assert.equal(again.json.response.revoked, 0, "nothing was left to end");
      assert.deepEqual(familyEvents.at(-1), [other.id.slice("rt:".length)], "the family's own event");

      const all = await revoke({ scope: "all" });
      assert.equal(all.status, 200, all.body);
      assert.ok(all.json.response.revoked >= 2, all.body);
      assert.deepEqual(
        sessionIds.filter((id) => id.startsWith("rt:")),
        [],
        "session_revoked names sessions only",
      );
    });
  });
}
