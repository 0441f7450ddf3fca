import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { configFromEnv, resolveConfig } from "../../core/config/index.js";
import { ConfigError } from "../../core/errors.js";
import { configSlices } from "../builtin.js";
import { refreshFamilyStore, type FamilyRecord, type RefreshFamilyStore } from "./store.js";

/** The families' store on every database: its guarded writes decide exactly once among concurrent callers. */
for (const dialect of flowDialects()) {
  describe(`refresh family store (${dialect})`, () => {
    let app: TestApp;
    let store: RefreshFamilyStore;
    let userId: number;
    let n = 0;
    const t0 = new Date("2030-01-01T00:00:00Z");
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    before(async () => {
      app = await createTestApp({ dialect });
      const user = await app.rampart.api.createUser({
        email: "Store.Owner+1@Sub.Example.test",
        password: "x".repeat(12),
      });
      userId = user.id;
      store = app.runtime.datastore.store(refreshFamilyStore);
    });
    after(() => app.close());

    const family = (over: Partial<FamilyRecord> = {}): FamilyRecord => ({
      id: `Fam-${++n}-AbC_dEf`,
      userId,
      gen: 1,
      secretHash: "a".repeat(64),
      fsUniquifier: "uniq",
      name: "default",
      authenticatedAt: t0,
      amr: ["pwd", "otp"],
      createdAt: t0,
      lastUsedAt: t0,
      expiresAt: at(1000),
      revokedAt: null,
      revokedReason: null,
      ip: "2001:db8::1",
      userAgent: "agent",
      ...over,
    });

    it("stores and reads a family back exactly (ids case-sensitive)", async () => {
      const f = family();
      await store.create(f);
      assert.deepEqual(await store.find(f.id), f);
      assert.equal(await store.find(f.id.toLowerCase()), null);
    });

    it("20 concurrent rotations of one generation: exactly one wins", async () => {
      const f = family();
      await store.create(f);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.rotate(f.id, 1, f.secretHash, `${i}`.padStart(64, "b"), at(1))),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const after = (await store.find(f.id))!;
      assert.equal(after.gen, 2);
      assert.equal(after.lastUsedAt.getTime(), at(1).getTime());
      assert.equal(await store.rotate(f.id, 1, f.secretHash, "c".repeat(64), at(2)), false, "old generation");
      assert.equal(await store.rotate(f.id, 2, "d".repeat(64), "c".repeat(64), at(2)), false, "wrong secret");
    });

    it("revokes once; a revoked family neither rotates nor is live", async () => {
      const f = family();
      await store.create(f);
      assert.equal(await store.isLive(f.id, userId, "uniq", at(1), at(-10)), true);
      const raced = await Promise.all(Array.from({ length: 5 }, () => store.revoke(f.id, at(1), "logout")));
      assert.equal(raced.filter(Boolean).length, 1);
      assert.equal((await store.find(f.id))!.revokedReason, "logout");
      assert.equal(await store.rotate(f.id, 1, f.secretHash, "e".repeat(64), at(2)), false);
      assert.equal(await store.isLive(f.id, userId, "uniq", at(1), at(-10)), false);
      assert.equal(await store.revoke(f.id, at(1), "logout", userId + 1), false);
    });

    it("isLive: expired, idle, another uniquifier or another user is not live", async () => {
      const f = family();
      await store.create(f);
      assert.equal(await store.isLive(f.id, userId, "uniq", at(999), at(-1)), true);
      assert.equal(await store.isLive(f.id, userId, "uniq", at(1000), at(-1)), false, "expired");
      assert.equal(await store.isLive(f.id, userId, "uniq", at(1), at(0)), false, "idle");
      assert.equal(await store.isLive(f.id, userId, "UNIQ", at(1), at(-1)), false);
      assert.equal(await store.isLive(f.id, userId + 1, "uniq", at(1), at(-1)), false);
    });

    it("revokeForUser keeps one; cleanup deletes expired and (when asked) revoked; deleting the user deletes them", async () => {
      const other = await app.rampart.api.createUser({ email: "store.second@example.test", password: "x".repeat(12) });
      const mk = (over: Partial<FamilyRecord>) => family({ userId: other.id, ...over });
      const keep = mk({});
      const ended = mk({});
      const expired = mk({ expiresAt: at(5) });
      for (const f of [keep, ended, expired]) await store.create(f);
      assert.equal(await store.revokeForUser(other.id, at(1), "sign_out_everywhere", keep.id), 2);
      assert.equal(await store.revokeForUser(other.id, at(1), "sign_out_everywhere", keep.id), 0);
      assert.equal(await store.cleanup(other.id, at(10), at(-100), { expired: true, revoked: false }), 1);
      assert.equal((await store.listForUser(other.id)).length, 2);
      assert.equal(await store.cleanup(other.id, at(10), at(-100), { expired: false, revoked: true }), 1);
      assert.deepEqual(
        (await store.listForUser(other.id)).map((f) => f.id),
        [keep.id],
      );
      assert.equal(await app.rampart.api.deleteUser(other), true);
      assert.equal(await store.find(keep.id), null);
    });

    it("sweep deletes every user's expired, idle and long-revoked families, and nothing live", async () => {
      const live = family({ lastUsedAt: at(50), expiresAt: at(1000) });
      const expired = family({ lastUsedAt: at(50), expiresAt: at(99) });
      const idle = family({ lastUsedAt: at(9), expiresAt: at(1000) });
      const oldRevoked = family({ lastUsedAt: at(50), revokedAt: at(9), revokedReason: "logout" });
      const newRevoked = family({ lastUsedAt: at(50), revokedAt: at(11), revokedReason: "logout" });
      for (const f of [live, expired, idle, oldRevoked, newRevoked]) await store.create(f);
      assert.ok((await store.sweep(at(100), at(10), at(10))) >= 3);
      for (const f of [expired, idle, oldRevoked]) assert.equal(await store.find(f.id), null, f.id);
      for (const f of [live, newRevoked]) assert.ok(await store.find(f.id), f.id);
    });
  });
}

describe("refresh token configuration", () => {
  /** The problems startup reports for this environment (each names its key), as one string per problem. */
  const issuesOf = (env: Record<string, string>): string[] => {
    const slices = configSlices();
    const parsed = configFromEnv({ SECRET_KEY: "k".repeat(40), ...env }, [], slices);
    try {
      resolveConfig(parsed.config, parsed.issues, slices);
      return [];
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.issues.map((i) => `${i.key}: ${i.message}`);
    }
  };

  it("reads FS's names from the environment", () => {
    const { config, issues } = configFromEnv(
      {
        SECRET_KEY: "k".repeat(40),
        SECURITY_REFRESH_TOKEN: "true",
        SECURITY_REFRESH_TOKEN_MAX_AGE: "86400",
        SECURITY_REFRESH_TOKEN_MAX_IDLE: "3600",
        SECURITY_REFRESH_TOKEN_COOKIE_NAME: "none",
        SECURITY_REFRESH_TOKEN_URL: "/api/refresh",
      },
      [],
      configSlices(),
    );
    assert.deepEqual(issues, []);
    const slice = (config as unknown as Record<string, Record<string, unknown>>).refreshTokens!;
    assert.equal(slice.enabled, true);
    assert.equal(slice.maxAgeSeconds, 86400);
    assert.equal(slice.maxIdleSeconds, 3600);
    assert.equal(slice.cookieName, null);
    assert.equal(slice.url, "/api/refresh");
  });

  it("refuses bad values at startup, naming the key", () => {
    assert.ok(
      issuesOf({ SECURITY_REFRESH_TOKEN_MAX_AGE: "60", SECURITY_REFRESH_TOKEN_MAX_IDLE: "120" }).some((i) =>
        i.includes("refreshTokens.maxIdleSeconds"),
      ),
    );
    assert.ok(issuesOf({ SECURITY_REFRESH_TOKEN_MAX_AGE: "0" }).some((i) => i.includes("refreshTokens.maxAgeSeconds")));
    assert.ok(
      issuesOf({ SECURITY_REFRESH_TOKEN_COOKIE_NAME: "a b;c" }).some((i) => i.includes("refreshTokens.cookieName")),
    );
    assert.ok(issuesOf({ SECURITY_REFRESH_TOKEN_URL: "refresh" }).some((i) => i.includes("refreshTokens.url")));
    assert.ok(
      issuesOf({ RAMPART_REFRESH_TOKEN_COOKIE_SAMESITE: "None", RAMPART_REFRESH_TOKEN_COOKIE_SECURE: "false" }).some(
        (i) => i.includes("refreshTokens.cookie.sameSite"),
      ),
    );
  });
});
