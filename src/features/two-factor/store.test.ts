/**
 * Two-factor's store on every test database (SQLite; PostgreSQL and MariaDB when configured, required under CI):
 * its writes are compare-and-sets of the user table's columns, one winner among concurrent callers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createIsolatedDatastore } from "../../../test/helpers/databases.js";
import { flowDialects } from "../../../test/helpers/app.js";
import { uniqueEmail, useDatastore } from "../../datastore/conformance/util.js";
import { twoFactorStore } from "./store.js";

for (const dialect of flowDialects()) {
  describe(`two-factor store: ${dialect}`, () => {
    const ds = useDatastore(async () => {
      const { datastore, cleanup } = await createIsolatedDatastore(dialect);
      return Object.assign(Object.create(datastore) as typeof datastore, { close: cleanup });
    });
    const tf = () => ds().store(twoFactorStore);

    it("replaceRecoveryCodes is a compare-and-set: one of concurrent consumers wins", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Codes") });
      assert.equal(await tf().replaceRecoveryCodes(user.id, "stale", "x"), false, "nothing stored yet");
      assert.equal(await tf().replaceRecoveryCodes(user.id, null, '["a","b","c"]'), true, "first set");
      const wins = await Promise.all(
        Array.from({ length: 20 }, () => tf().replaceRecoveryCodes(user.id, '["a","b","c"]', '["b","c"]')),
      );
      assert.equal(wins.filter(Boolean).length, 1, "the same code consumed once");
      assert.equal((await ds().users.findById(user.id))!.mfRecoveryCodes, '["b","c"]');
      assert.equal(await tf().replaceRecoveryCodes(user.id, '["b","c"]', null), true, "cleared");
    });

    it("replaceTotpSecret is a compare-and-set", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Tf") });
      await ds().users.update(user.id, { tfPrimaryMethod: "authenticator", tfTotpSecret: "old" });
      assert.equal(await tf().replaceTotpSecret(user.id, "stale", "x"), false);
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => tf().replaceTotpSecret(user.id, "old", `new-${i}`)),
      );
      assert.equal(wins.filter(Boolean).length, 1);
      assert.match((await ds().users.findById(user.id))!.tfTotpSecret!, /^new-\d$/);
    });

    it("claimTotpStep accepts a step once and only moving forward, also under concurrency", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Totp") });
      assert.equal(await tf().claimTotpStep(user.id, 1000), true, "first use");
      assert.equal(await tf().claimTotpStep(user.id, 1000), false, "same step replayed");
      assert.equal(await tf().claimTotpStep(user.id, 999), false, "an older step");
      const wins = await Promise.all(Array.from({ length: 20 }, () => tf().claimTotpStep(user.id, 1001)));
      assert.equal(wins.filter(Boolean).length, 1, "one winner for one step");
    });

    it("inside a transaction the store is bound to it: a rolled-back claim leaves the counter as it was", async () => {
      const user = await ds().users.create({ email: uniqueEmail("TotpTx") });
      await assert.rejects(
        ds().transaction(async (tx) => {
          assert.equal(await tx.store(twoFactorStore).claimTotpStep(user.id, 5000), true);
          throw new Error("roll back");
        }),
        /roll back/,
      );
      assert.equal(await tf().claimTotpStep(user.id, 5000), true, "the step was never recorded");
    });
  });
}
