/**
 * Unified sign-in's store on every test database (SQLite; PostgreSQL and MariaDB when configured, required under
 * CI): compare-and-set of its methods, its own TOTP replay counter beside two-factor's.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createIsolatedDatastore } from "../../../test/helpers/databases.js";
import { flowDialects } from "../../../test/helpers/app.js";
import { DuplicateError } from "../../datastore/contracts.js";
import { uniqueEmail, useDatastore } from "../../datastore/conformance/util.js";
import { twoFactorStore } from "../two-factor/store.js";
import { unifiedSigninStore } from "./store.js";

for (const dialect of flowDialects()) {
  describe(`unified sign-in store: ${dialect}`, () => {
    const ds = useDatastore(async () => {
      const { datastore, cleanup } = await createIsolatedDatastore(dialect);
      return Object.assign(Object.create(datastore) as typeof datastore, { close: cleanup });
    });
    const us = () => ds().store(unifiedSigninStore);

    it("replaceMethods is a compare-and-set on secrets and phone; a taken phone is a DuplicateError", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Us") });
      const other = await ds().users.create({ email: uniqueEmail("Us2") });
      const none = { secrets: null, phone: null };
      const phone = `+1650555${String(Math.floor(Math.random() * 10000)).padStart(4, "0")}`;
      assert.equal(
        await us().replaceMethods(user.id, { secrets: "{}", phone: null }, none),
        false,
        "stale expectation",
      );
      const wins = await Promise.all(
        ["email", "authenticator", "sms"].map((m) =>
          us().replaceMethods(user.id, none, { secrets: JSON.stringify({ [m]: "s" }), phone: null }),
        ),
      );
      assert.equal(wins.filter(Boolean).length, 1, "one of interleaved setups wins; the others see a changed row");
      const first = (await ds().users.findById(user.id))!;
      const withPhone = { secrets: '{"sms":"s"}', phone };
      assert.equal(await us().replaceMethods(user.id, { secrets: first.usTotpSecrets, phone: null }, withPhone), true);
      assert.equal((await ds().users.findById(user.id))!.usPhoneNumber, phone);
      await assert.rejects(
        us().replaceMethods(other.id, none, withPhone),
        (err: unknown) => err instanceof DuplicateError && err.field === "us_phone_number",
      );
      assert.equal((await ds().users.findById(other.id))!.usTotpSecrets, null, "the loser changed nothing");
      assert.equal(await us().replaceMethods(user.id, withPhone, none), true, "cleared");
    });

    it("a taken phone inside a transaction is a DuplicateError the transaction survives", async () => {
      const phone = `+1650556${String(Math.floor(Math.random() * 10000)).padStart(4, "0")}`;
      const owner = await ds().users.create({ email: uniqueEmail("UsTx") });
      const other = await ds().users.create({ email: uniqueEmail("UsTx2") });
      const none = { secrets: null, phone: null };
      assert.equal(await us().replaceMethods(owner.id, none, { secrets: '{"sms":"s"}', phone }), true);
      const after = await ds().transaction(async (tx) => {
        await assert.rejects(
          tx.store(unifiedSigninStore).replaceMethods(other.id, none, { secrets: '{"sms":"s"}', phone }),
          (err: unknown) => err instanceof DuplicateError && err.field === "us_phone_number",
        );
        await tx.users.update(other.id, { username: null });
        return tx.users.findById(other.id);
      });
      assert.equal(after?.usPhoneNumber, null);
    });

    it("claimTotpStep keeps one counter per authenticator (two-factor, unified sign-in)", async () => {
      const tf = ds().store(twoFactorStore);
      const user = await ds().users.create({ email: uniqueEmail("TotpPair") });
      assert.equal(await tf.claimTotpStep(user.id, 2000), true, "two-factor step");
      assert.equal(await us().claimTotpStep(user.id, 2000), true, "the same step on the other authenticator");
      assert.equal(await us().claimTotpStep(user.id, 2000), false, "replayed on unified sign-in");
      assert.equal(await tf.claimTotpStep(user.id, 2000), false, "replayed on two-factor");
      assert.equal(await us().claimTotpStep(user.id, 1999), false, "an older unified sign-in step");
      assert.equal(await us().claimTotpStep(user.id, 2001), true);
      assert.equal(
        await tf.claimTotpStep(user.id, 2001),
        true,
        "unified sign-in moving on leaves two-factor's counter alone",
      );
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? us() : tf).claimTotpStep(user.id, 2002)),
      );
      assert.equal(wins.filter(Boolean).length, 2, "one winner per counter for one step");
    });
  });
}
