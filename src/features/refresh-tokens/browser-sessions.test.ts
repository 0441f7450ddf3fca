import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { PASSWORD, newUser, reasonOf } from "./testing/kit.js";

/**
 * A browser (session cookie plus the refresh cookie, cookie mode): its own family is "this device" in
 * GET /sessions and survives "sign out my other sessions".
 */
for (const dialect of flowDialects()) {
  describe(`a browser's own refresh family in /sessions (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect, config: { refreshTokens: { enabled: true }, lockout: { threshold: 100 } } });
    });
    after(() => app.close());

    const signIn = async (c: TestClient, email: string) => {
      const r = await c.login(email, PASSWORD, {}, "?include_auth_token");
      assert.equal(r.status, 200, r.body);
      return r;
    };
    const refresh = async (c: TestClient) =>
      c.post("/refresh-token", { json: {}, headers: { "x-csrf-token": await c.csrf() } });

    it("GET /sessions marks the family of the browser's refresh cookie current; scope=others keeps it and ends the other browser's", async () => {
      const email = await newUser(app, "Spa.Others");
      const mine = app.client();
      const other = app.client();
      await signIn(other, email);
      await signIn(mine, email);

      const list = await mine.get("/sessions", { acceptJson: true });
      assert.equal(list.status, 200, list.body);
      const entries = list.json.response.sessions as { kind: string; current: boolean }[];
      assert.deepEqual(
        entries
          .filter((s) => s.current)
          .map((s) => s.kind)
          .sort(),
        ["refresh_token", "session"],
        list.body,
      );

      const r = await mine.post("/sessions/revoke", {
        json: { scope: "others" },
        headers: { "x-csrf-token": list.json.response.csrf_token },
      });
      assert.equal(r.status, 200, r.body);
      assert.equal((await refresh(mine)).status, 200, "this browser's refresh cookie still works");
      assert.equal(reasonOf(await refresh(other)), "REVOKED");
    });
  });
}
