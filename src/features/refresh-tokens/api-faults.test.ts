import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineStore } from "../../datastore/kit.js";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { mobileConfig, newUser } from "./testing/kit.js";

/**
 * Deactivation and reset-access are committed before their refresh families are revoked: when that revocation
 * fails (here the families' table is gone), the api still reports the committed change and writes its audit row.
 */
const tableMover = defineStore("test-table-mover", (kit) => ({
  rename: (from: string, to: string) => kit.db.schema.alterTable(from).renameTo(to).execute(),
}));

for (const dialect of flowDialects()) {
  describe(`api changes whose family revocation fails (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect, config: mobileConfig });
      await app.runtime.datastore.store(tableMover).rename("rampart_refresh_family", "rampart_refresh_family_gone");
    });
    after(async () => {
      await app.runtime.datastore.store(tableMover).rename("rampart_refresh_family_gone", "rampart_refresh_family");
      await app.close();
    });

    it("deactivateUser and resetAccess succeed and are audited", async () => {
      const { api } = app.rampart;
      const deactivated = (await api.findUser(await newUser(app, "Api.Deactivate")))!;
      assert.equal(await api.deactivateUser(deactivated), true);
      assert.equal((await api.findUser(deactivated.email))!.active, false);
      const reset = (await api.findUser(await newUser(app, "Api.Reset")))!;
      await api.resetAccess(reset);
      const rows = await api.auditEvents({});
      assert.ok(rows.some((r) => r.event === "user_deactivated" && r.userId === deactivated.id));
      assert.ok(rows.some((r) => r.event === "access_reset" && r.userId === reset.id));
    });
  });
}
