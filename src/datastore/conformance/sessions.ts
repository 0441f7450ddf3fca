import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { SessionRecord, SessionStore } from "../contracts.js";
import { uniqueEmail, type DatastoreFactory } from "./util.js";

/** What the session suite needs: a store, a way to get valid user ids (SQL stores check them), a close. */
export interface SessionStoreHarness {
  sessions: SessionStore;
  newUserId(): Promise<number>;
  close(): Promise<void>;
}

export type SessionStoreHarnessFactory = () => Promise<SessionStoreHarness>;

/** Harness over a full datastore: user ids come from real users. */
export function datastoreSessionHarness(factory: DatastoreFactory): SessionStoreHarnessFactory {
  return async () => {
    const ds = await factory();
    return {
      sessions: ds.sessions,
      newUserId: async () => (await ds.users.create({ email: uniqueEmail("sess") })).id,
      close: () => ds.close(),
    };
  };
}

const DAY = 86_400_000;
const hex = (bytes: number): string => randomBytes(bytes).toString("hex");

/** A session with odd millisecond values (to prove ms precision), far from expiring unless overridden. */
export function makeSession(userId: number, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: hex(16),
    tokenHash: hex(32),
    userId,
    fsUniquifier: hex(32),
    createdAt: new Date(now - 1001),
    lastActiveAt: new Date(now - 7),
    expiresAt: new Date(now + 30 * DAY + 123),
    authenticatedAt: new Date(now - 999),
    graceExpiresAt: null,
    remember: false,
    ip: "203.0.113.9",
    userAgent: "Mozilla/5.0 (conformance)",
    csrfSecret: hex(16),
    authnVia: ["password"],
    mfaProof: { kind: "second-factor", method: "authenticator" },
    rotatePending: false,
    rememberId: hex(16),
    ...overrides,
  };
}

export function sessionStoreConformance(factory: SessionStoreHarnessFactory): void {
  describe("sessions", () => {
    let h: SessionStoreHarness | undefined;
    before(async () => {
      h = await factory();
    });
    after(async () => {
      await h?.close();
    });
    const harness = (): SessionStoreHarness => {
      if (!h) throw new Error("session store not opened");
      return h;
    };
    const store = (): SessionStore => harness().sessions;

    it("create, then find by token hash and by id, every field intact to the millisecond", async () => {
      const userId = await harness().newUserId();
      const s = makeSession(userId, {
        remember: true,
        graceExpiresAt: new Date(Date.now() + 300_001),
        authnVia: ["password", "tf"],
      });
      await store().create(s);
      assert.deepEqual(await store().findByTokenHash(s.tokenHash), s);
      assert.deepEqual(await store().findById(s.id), s);
      const bare = makeSession(userId, { ip: null, userAgent: null, authnVia: [], mfaProof: null, rememberId: null });
      await store().create(bare);
      assert.deepEqual(await store().findById(bare.id), bare);
      const viaCode = makeSession(userId, {
        mfaProof: { kind: "multi-factor-sign-in", method: "sms" },
        rotatePending: true,
      });
      await store().create(viaCode);
      assert.deepEqual(await store().findById(viaCode.id), viaCode);
      assert.equal(await store().findByTokenHash(hex(32)), null);
      assert.equal(await store().findById(hex(16)), null);
    });

    it("touch and update change only what they name", async () => {
      const s = makeSession(await harness().newUserId());
      await store().create(s);
      const touched = new Date(s.lastActiveAt.getTime() + 60_001);
      await store().touch(s.id, touched);
      assert.deepEqual(await store().findById(s.id), { ...s, lastActiveAt: touched });

      const patch = {
        authenticatedAt: new Date(Date.now() + 5),
        graceExpiresAt: new Date(Date.now() + 600_003),
        rotatePending: true,
        csrfSecret: hex(16),
      };
      await store().update(s.id, patch);
      assert.deepEqual(await store().findByTokenHash(s.tokenHash), { ...s, lastActiveAt: touched, ...patch });
      await store().update(s.id, { graceExpiresAt: null });
      assert.equal((await store().findById(s.id))?.graceExpiresAt, null);
      assert.equal((await store().findById(s.id))?.rotatePending, true, "rotatePending kept when not in the patch");
      await store().update(s.id, { rotatePending: false });
      assert.equal((await store().findById(s.id))?.rotatePending, false);

      // Writes to a missing session do nothing (and never resurrect it).
      const missing = hex(16);
      await store().touch(missing, new Date());
      await store().update(missing, { rotatePending: true });
      assert.equal(await store().findById(missing), null);
      await store().delete(s.id);
      await store().touch(s.id, new Date());
      await store().update(s.id, { rotatePending: true });
      assert.equal(await store().findById(s.id), null);
      assert.equal(await store().findByTokenHash(s.tokenHash), null);
    });

    it("listForUser returns only that user's sessions", async () => {
      const u1 = await harness().newUserId();
      const u2 = await harness().newUserId();
      const a = makeSession(u1);
      const b = makeSession(u1, { createdAt: new Date(Date.now() - 50_000) });
      const c = makeSession(u2);
      for (const s of [a, b, c]) await store().create(s);
      const listed = await store().listForUser(u1);
      assert.deepEqual(listed.map((s) => s.id).sort(), [a.id, b.id].sort());
      assert.deepEqual(
        listed.find((s) => s.id === a.id),
        a,
      );
      assert.deepEqual(
        (await store().listForUser(u2)).map((s) => s.id),
        [c.id],
      );
      assert.deepEqual(await store().listForUser(await harness().newUserId()), []);
    });

    it("delete removes a session once", async () => {
      const s = makeSession(await harness().newUserId());
      await store().create(s);
      assert.equal(await store().delete(s.id), true);
      assert.equal(await store().delete(s.id), false);
      assert.equal(await store().findById(s.id), null);
      assert.equal(await store().findByTokenHash(s.tokenHash), null);
      assert.deepEqual(await store().listForUser(s.userId), []);
    });

    it("deleteForUser removes all, or all but one, of a user's sessions", async () => {
      const u = await harness().newUserId();
      const other = makeSession(await harness().newUserId());
      await store().create(other);
      const mine = [makeSession(u), makeSession(u), makeSession(u)];
      for (const s of mine) await store().create(s);
      const keep = mine[1];
      assert.ok(keep, "fixture");
      assert.equal(await store().deleteForUser(u, keep.id), 2);
      assert.deepEqual(
        (await store().listForUser(u)).map((s) => s.id),
        [keep.id],
      );
      assert.deepEqual(await store().findById(keep.id), keep);
      assert.equal(await store().deleteForUser(u), 1);
      assert.deepEqual(await store().listForUser(u), []);
      assert.equal(await store().deleteForUser(u), 0);
      assert.deepEqual(await store().findById(other.id), other, "other users' sessions untouched");
    });

    it("deleteExpired removes sessions past absolute expiry (<= now) or idle (< idleBefore)", async () => {
      const u = await harness().newUserId();
      const base = Date.now();
      const now = new Date(base + 2 * 3_600_000);
      const idleBefore = new Date(base - 3_600_000);
      const expired = makeSession(u, { expiresAt: new Date(base + 3_600_000) });
      const expiresNow = makeSession(u, { expiresAt: now });
      const idle = makeSession(u, { lastActiveAt: new Date(idleBefore.getTime() - 1) });
      const idleEdge = makeSession(u, { lastActiveAt: idleBefore });
      const live = makeSession(u);
      for (const s of [expired, expiresNow, idle, idleEdge, live]) await store().create(s);
      assert.equal(await store().deleteExpired(now, idleBefore), 3);
      assert.deepEqual((await store().listForUser(u)).map((s) => s.id).sort(), [idleEdge.id, live.id].sort());
      assert.equal(await store().findByTokenHash(expired.tokenHash), null);
      assert.equal(await store().findByTokenHash(idle.tokenHash), null);
      assert.equal(await store().deleteExpired(now, idleBefore), 0);
    });
  });
}
