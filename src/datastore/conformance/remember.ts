import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import type { RememberRecord } from "../contracts.js";
import { uniqueEmail, useDatastore, type DatastoreFactory } from "./util.js";

const hex = (bytes: number): string => randomBytes(bytes).toString("hex");

/** Remember-me records: what logout, revoke, deactivation and a new password delete to end a remember cookie. */
export function rememberStoreConformance(factory: DatastoreFactory): void {
  describe("remember records", () => {
    const ds = useDatastore(factory);
    const now = Date.now();
    const make = (userId: number, overrides: Partial<RememberRecord> = {}): RememberRecord => ({
      id: hex(16),
      userId,
      secretHash: hex(32),
      previousHash: null,
      rotatedAt: null,
      fsUniquifier: hex(32),
      issuedAt: new Date(now - 1001),
      expiresAt: new Date(now + 86_400_123),
      mfaProof: { kind: "second-factor", method: "authenticator" },
      ...overrides,
    });
    const newUser = async () => (await ds().users.create({ email: uniqueEmail("Remember") })).id;

    it("create and find by id, every field intact to the millisecond", async () => {
      const r = make(await newUser());
      await ds().remember.create(r);
      assert.deepEqual(await ds().remember.findById(r.id), r);
      const bare = make(r.userId, { mfaProof: null, previousHash: hex(32), rotatedAt: new Date(now - 7) });
      await ds().remember.create(bare);
      assert.deepEqual(await ds().remember.findById(bare.id), bare);
      assert.equal(await ds().remember.findById(hex(16)), null);
      assert.equal(await ds().remember.findById(r.id.toUpperCase()), null, "ids compare exactly");
    });

    it("rotate is a compare-and-set on the secret hash: one of concurrent restores wins, expiry never moves", async () => {
      const r = make(await newUser());
      await ds().remember.create(r);
      assert.equal(await ds().remember.rotate(r.id, hex(32), hex(32), new Date(now)), false, "wrong secret");
      const nexts = Array.from({ length: 10 }, () => hex(32));
      const at = new Date(now + 5003);
      const wins = await Promise.all(nexts.map((n) => ds().remember.rotate(r.id, r.secretHash, n, at)));
      assert.equal(wins.filter(Boolean).length, 1, "exactly one winner");
      const after = (await ds().remember.findById(r.id))!;
      assert.equal(after.secretHash, nexts[wins.indexOf(true)]);
      assert.equal(after.previousHash, r.secretHash);
      assert.deepEqual(after.rotatedAt, at);
      assert.deepEqual(after.expiresAt, r.expiresAt, "absolute expiry kept");
      assert.deepEqual(after.issuedAt, r.issuedAt);
      assert.equal(
        await ds().remember.rotate(r.id, r.secretHash, hex(32), at),
        false,
        "the replaced secret cannot rotate again",
      );
    });

    it("delete one, delete a user's others or all, delete expired; other users untouched", async () => {
      const u = await newUser();
      const other = await newUser();
      const [a, b, c] = [make(u), make(u), make(u)];
      const theirs = make(other);
      for (const r of [a, b, c, theirs]) await ds().remember.create(r);
      assert.equal(await ds().remember.delete(a.id), true);
      assert.equal(await ds().remember.delete(a.id), false, "already gone");
      assert.equal(await ds().remember.deleteForUser(u, b.id), 1, "all but b");
      assert.equal(await ds().remember.findById(c.id), null);
      assert.ok(await ds().remember.findById(b.id));
      assert.equal(await ds().remember.deleteForUser(u), 1);
      assert.equal(await ds().remember.findById(b.id), null);
      assert.ok(await ds().remember.findById(theirs.id), "another user's record stays");
      const expired = make(other, { expiresAt: new Date(now - 1) });
      await ds().remember.create(expired);
      assert.ok((await ds().remember.deleteExpired(new Date(now))) >= 1);
      assert.equal(await ds().remember.findById(expired.id), null);
      assert.ok(await ds().remember.findById(theirs.id), "a live record survives the sweep");
    });

    it("deleting the user deletes the user's records; the deletion joins a transaction", async () => {
      const u = await newUser();
      const r = make(u);
      await ds().remember.create(r);
      await assert.rejects(
        ds().transaction(async (tx) => {
          await tx.remember.deleteForUser(u);
          throw new Error("roll back");
        }),
        /roll back/,
      );
      assert.ok(await ds().remember.findById(r.id), "rolled back with the transaction");
      assert.equal(await ds().users.delete(u), true);
      assert.equal(await ds().remember.findById(r.id), null);
    });
  });
}
