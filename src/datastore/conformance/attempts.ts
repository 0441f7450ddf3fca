import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DuplicateError } from "../contracts.js";
import { tag, uniqueEmail, useDatastore, type DatastoreFactory } from "./util.js";

/** Attempt budgets and TOTP step claims: the primitives second factors and lockout rely on. */
export function attemptStoreConformance(factory: DatastoreFactory): void {
  describe("attempts", () => {
    const ds = useDatastore(factory);
    const t0 = new Date("2025-06-01T12:00:00.000Z");
    const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

    it("counts hits in a window, restarts after it, peeks without counting, clears", async () => {
      const key = `tf:${tag()}`;
      assert.equal(await ds().attempts.peek(key, 60, t0), 0, "nothing yet");
      assert.equal(await ds().attempts.hit(key, 60, t0), 1);
      assert.equal(await ds().attempts.hit(key, 60, at(30)), 2);
      assert.equal(await ds().attempts.peek(key, 60, at(30)), 2, "peek does not count");
      assert.equal(await ds().attempts.hit(key, 60, at(61)), 1, "a new window starts over");
      assert.equal(await ds().attempts.peek(key, 60, at(200)), 0, "expired window reads 0");
      await ds().attempts.clear(key);
      assert.equal(await ds().attempts.hit(key, 60, at(62)), 1, "cleared");
    });

    it("deleteExpired sweeps only the prefix's counters whose window is over; wildcards in the prefix are literal", async () => {
      const kind = `sweep_${tag()}:`;
      const old = `${kind}old`;
      const fresh = `${kind}fresh`;
      const lookalike = `${kind.replace("_", "X")}old`;
      const other = `other-${tag()}`;
      for (const key of [old, lookalike, other]) await ds().attempts.hit(key, 60, t0);
      await ds().attempts.hit(fresh, 60, at(50));
      assert.equal(await ds().attempts.deleteExpired(kind, 60, at(61)), 1, "only the old one of this kind");
      assert.equal(await ds().attempts.peek(old, 3600, at(61)), 0);
      assert.equal(await ds().attempts.peek(fresh, 60, at(61)), 1, "a live window stays");
      assert.equal(await ds().attempts.peek(lookalike, 3600, at(61)), 1, '"_" in the prefix is not a wildcard');
      assert.equal(await ds().attempts.peek(other, 3600, at(61)), 1, "other kinds stay");
    });

    it("50 concurrent hits get 50 distinct counts: a budget of 5 lets exactly 5 through", async () => {
      const key = `tf:${tag()}`;
      const counts = await Promise.all(Array.from({ length: 50 }, () => ds().attempts.hit(key, 300, t0)));
      assert.deepEqual(
        [...counts].sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
        "each hit saw its own count",
      );
      assert.equal(counts.filter((c) => c <= 5).length, 5, "exactly the budget within it");
    });

    it("replaceRecoveryCodes is a compare-and-set: one of concurrent consumers wins", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Codes") });
      assert.equal(await ds().users.replaceRecoveryCodes(user.id, "stale", "x"), false, "nothing stored yet");
      assert.equal(await ds().users.replaceRecoveryCodes(user.id, null, '["a","b","c"]'), true, "first set");
      const wins = await Promise.all(
        Array.from({ length: 20 }, () => ds().users.replaceRecoveryCodes(user.id, '["a","b","c"]', '["b","c"]')),
      );
      assert.equal(wins.filter(Boolean).length, 1, "the same code consumed once");
      assert.equal((await ds().users.findById(user.id))!.mfRecoveryCodes, '["b","c"]');
      assert.equal(await ds().users.replaceRecoveryCodes(user.id, '["b","c"]', null), true, "cleared");
    });

    it("replaceUsMethods is a compare-and-set on secrets and phone; a taken phone is a DuplicateError", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Us") });
      const other = await ds().users.create({ email: uniqueEmail("Us2") });
      const none = { secrets: null, phone: null };
      const phone = `+1650555${String(Math.floor(Math.random() * 10000)).padStart(4, "0")}`;
      assert.equal(
        await ds().users.replaceUsMethods(user.id, { secrets: "{}", phone: null }, none),
        false,
        "stale expectation",
      );
      const wins = await Promise.all(
        ["email", "authenticator", "sms"].map((m) =>
          ds().users.replaceUsMethods(user.id, none, { secrets: JSON.stringify({ [m]: "s" }), phone: null }),
        ),
      );
      assert.equal(wins.filter(Boolean).length, 1, "one of interleaved setups wins; the others see a changed row");
      const first = (await ds().users.findById(user.id))!;
      const withPhone = { secrets: '{"sms":"s"}', phone };
      assert.equal(
        await ds().users.replaceUsMethods(user.id, { secrets: first.usTotpSecrets, phone: null }, withPhone),
        true,
      );
      assert.equal((await ds().users.findById(user.id))!.usPhoneNumber, phone);
      await assert.rejects(
        ds().users.replaceUsMethods(other.id, none, withPhone),
        (err: unknown) => err instanceof DuplicateError && err.field === "us_phone_number",
      );
      assert.equal((await ds().users.findById(other.id))!.usTotpSecrets, null, "the loser changed nothing");
      assert.equal(await ds().users.replaceUsMethods(user.id, withPhone, none), true, "cleared");
    });

    it("replaceTfTotpSecret is a compare-and-set", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Tf") });
      await ds().users.update(user.id, { tfPrimaryMethod: "authenticator", tfTotpSecret: "old" });
      assert.equal(await ds().users.replaceTfTotpSecret(user.id, "stale", "x"), false);
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => ds().users.replaceTfTotpSecret(user.id, "old", `new-${i}`)),
      );
      assert.equal(wins.filter(Boolean).length, 1);
      assert.match((await ds().users.findById(user.id))!.tfTotpSecret!, /^new-\d$/);
    });

    it("claimTotpStep accepts a step once and only moving forward, also under concurrency", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Totp") });
      assert.equal(await ds().users.claimTotpStep(user.id, 1000), true, "first use");
      assert.equal(await ds().users.claimTotpStep(user.id, 1000), false, "same step replayed");
      assert.equal(await ds().users.claimTotpStep(user.id, 999), false, "an older step");
      const wins = await Promise.all(Array.from({ length: 20 }, () => ds().users.claimTotpStep(user.id, 1001)));
      assert.equal(wins.filter(Boolean).length, 1, "one winner for one step");
    });

    it("claimTotpStep keeps one counter per authenticator (two-factor, unified sign-in)", async () => {
      const user = await ds().users.create({ email: uniqueEmail("TotpPair") });
      assert.equal(await ds().users.claimTotpStep(user.id, 2000, "tf"), true, "two-factor step");
      assert.equal(
        await ds().users.claimTotpStep(user.id, 2000, "us"),
        true,
        "the same step on the other authenticator",
      );
      assert.equal(await ds().users.claimTotpStep(user.id, 2000, "us"), false, "replayed on unified sign-in");
      assert.equal(
        await ds().users.claimTotpStep(user.id, 2000),
        false,
        "replayed on two-factor (the default counter)",
      );
      assert.equal(await ds().users.claimTotpStep(user.id, 1999, "us"), false, "an older unified sign-in step");
      assert.equal(await ds().users.claimTotpStep(user.id, 2001, "us"), true);
      assert.equal(
        await ds().users.claimTotpStep(user.id, 2001, "tf"),
        true,
        "unified sign-in moving on leaves two-factor's counter alone",
      );
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => ds().users.claimTotpStep(user.id, 2002, i % 2 ? "us" : "tf")),
      );
      assert.equal(wins.filter(Boolean).length, 2, "one winner per counter for one step");
    });
  });
}
