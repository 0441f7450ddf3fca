import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { mobileClient, mobileConfig, newUser, reasonOf } from "./testing/kit.js";
import { refreshFamilyStore } from "./store.js";

/**
 * The periodic clean-up (SESSION_CLEANUP_INTERVAL) deletes families past their expiry or idle limit, and revoked
 * ones once they are older than the idle limit, also for users who never sign in again; live ones stay.
 */
const familyOf = (refreshToken: string): string =>
  JSON.parse(Buffer.from(refreshToken.split(".")[0]!, "base64url").toString()).fam as string;

for (const dialect of flowDialects()) {
  describe(`the sweep of refresh token families (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect, config: { ...mobileConfig, session: { cleanupIntervalSeconds: 1 } } });
    });
    after(() => app.close());

    it("deletes idle and old revoked families; a live one stays", async () => {
      const m = mobileClient(app);
      const store = app.runtime.datastore.store(refreshFamilyStore);
      const idle = await m.signIn(await newUser(app, "Sweep.Idle"));
      const revoked = await m.signIn(await newUser(app, "Sweep.Revoked"));
      // Revoked as reuse: a rotation, then the older generation replayed.
      assert.equal((await m.refresh(revoked.refresh)).status, 200);
      assert.equal(reasonOf(await m.refresh(revoked.refresh)), "GEN_MISMATCH");
      app.advance(7 * 24 * 3600 + 60);
      const live = await m.signIn(await newUser(app, "Sweep.Live"));
      assert.equal(reasonOf(await m.refresh(idle.refresh)), "EXPIRED", "idle, not yet swept");

      const swept = async () =>
        (await store.find(familyOf(idle.refresh))) === null && (await store.find(familyOf(revoked.refresh))) === null;
      const deadline = Date.now() + 5000;
      while (!(await swept()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(await swept(), "the idle and the revoked family are deleted");
      assert.equal(reasonOf(await m.refresh(idle.refresh)), "NOT_FOUND");
      assert.ok(await store.find(familyOf(live.refresh)), "the live family stays");
      assert.equal((await m.refresh(live.refresh)).status, 200);
    });
  });
}
