import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tag, uniqueEmail, useDatastore, type DatastoreFactory } from "./util.js";

/**
 * Revocations of sessions kept outside the database: what ended is read back with the user in one call, a
 * per-user cut-off ends every older session but the one it keeps (the later cut-off stands), and the sweep only
 * removes what can no longer matter.
 */
export function revocationStoreConformance(factory: DatastoreFactory): void {
  describe("revocations", () => {
    const ds = useDatastore(factory);
    const t0 = new Date("2025-06-01T12:00:00.000Z");
    const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

    it("a listed session reads as revoked with its user; recording it twice is no error; others are untouched", async () => {
      const user = await ds().users.create({ email: uniqueEmail("Rev-Listed+x") });
      const gone = `s-${tag()}`;
      const live = `s-${tag()}`;
      const before = await ds().revocations.userForSession(user.id, { id: gone, createdAt: t0 });
      assert.equal(before.revoked, false);
      assert.equal(before.user?.email, user.email, "the user is read in the same call");
      await ds().revocations.revokeSessions([{ sessionId: gone, userId: user.id, expiresAt: at(3600) }]);
      await ds().revocations.revokeSessions([{ sessionId: gone, userId: user.id, expiresAt: at(3600) }]);
      assert.equal((await ds().revocations.userForSession(user.id, { id: gone, createdAt: t0 })).revoked, true);
      assert.equal((await ds().revocations.userForSession(user.id, { id: live, createdAt: t0 })).revoked, false);
      assert.deepEqual(await ds().revocations.userForSession(999_999_999, { id: gone, createdAt: t0 }), {
        user: null,
        revoked: false,
      });
    });

    it("a cut-off ends the user's sessions made at or before it except the kept one; the later cut-off stands", async () => {
      const user = await ds().users.create({ email: uniqueEmail("rev.cut") });
      const other = await ds().users.create({ email: uniqueEmail("rev.other") });
      const check = async (id: string, createdAt: Date, userId = user.id) =>
        (await ds().revocations.userForSession(userId, { id, createdAt })).revoked;
      await ds().revocations.revokeUserSessionsBefore(user.id, at(100), "kept");
      assert.equal(await check("old", at(50)), true, "made before the cut-off");
      assert.equal(await check("edge", at(100)), true, "made at the cut-off");
      assert.equal(await check("kept", at(50)), false, "the session the cut-off keeps");
      assert.equal(await check("new", at(101)), false, "made after it");
      assert.equal(await check("old", at(50), other.id), false, "another user's sessions");

      await ds().revocations.revokeUserSessionsBefore(user.id, at(200), null);
      assert.equal(await check("kept", at(50)), true, "a later cut-off without a kept session ends it too");
      assert.equal(await check("new", at(101)), true);
      await ds().revocations.revokeUserSessionsBefore(user.id, at(150), "new");
      assert.equal(await check("new", at(101)), true, "an older cut-off arriving late changes nothing");
      assert.equal(await check("newer", at(201)), false);
    });

    it("cutOffSince lists the users whose cut-off is later than the bound, with it and the session it kept", async () => {
      const recent = await ds().users.create({ email: uniqueEmail("Rev.Recent+cut") });
      const older = await ds().users.create({ email: uniqueEmail("rev.older") });
      await ds().revocations.revokeUserSessionsBefore(recent.id, at(300), null);
      await ds().revocations.revokeUserSessionsBefore(older.id, at(250), "kept");
      const mine = async (since: Date) =>
        (await ds().revocations.cutOffSince(since))
          .filter((c) => c.userId === recent.id || c.userId === older.id)
          .sort((a, b) => a.userId - b.userId);
      assert.deepEqual(await mine(at(260)), [{ userId: recent.id, before: at(300), keepSessionId: null }]);
      assert.deepEqual(
        await mine(at(250)),
        [{ userId: recent.id, before: at(300), keepSessionId: null }],
        "not at the bound itself",
      );
      assert.deepEqual(
        await mine(at(249)),
        [
          { userId: recent.id, before: at(300), keepSessionId: null },
          { userId: older.id, before: at(250), keepSessionId: "kept" },
        ].sort((a, b) => a.userId - b.userId),
      );
    });

    it("deleteExpired removes listed sessions past their expiry and cut-offs older than any session", async () => {
      const user = await ds().users.create({ email: uniqueEmail("rev.sweep") });
      const [expired, live] = [`s-${tag()}`, `s-${tag()}`];
      await ds().revocations.revokeSessions([
        { sessionId: expired, userId: user.id, expiresAt: at(10) },
        { sessionId: live, userId: user.id, expiresAt: at(1000) },
      ]);
      await ds().revocations.revokeUserSessionsBefore(user.id, at(5), null);
      assert.ok((await ds().revocations.deleteExpired(at(10), at(6))) >= 2);
      const read = async (id: string) =>
        (await ds().revocations.userForSession(user.id, { id, createdAt: at(8) })).revoked;
      assert.equal(await read(expired), false, "swept");
      assert.equal(await read(live), true, "kept until its session's expiry");
      await ds().revocations.revokeUserSessionsBefore(user.id, at(20), null);
      await ds().revocations.deleteExpired(at(10), at(6));
      assert.equal(await read(`s-${tag()}`), true, "a cut-off newer than the sweep's bound stays");
    });
  });
}
