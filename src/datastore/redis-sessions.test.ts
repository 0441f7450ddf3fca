/** The Redis session store against the session conformance suite (when RAMPART_TEST_REDIS_URL is set). */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { makeSession, runSessionStoreConformance } from "./conformance/suite.js";
import { RedisSessionStore } from "./redis-sessions.js";

const url = process.env.RAMPART_TEST_REDIS_URL;

async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

/** A store under a random key prefix; close() removes every key of that prefix. */
function openStore(redisUrl: string): { store: RedisSessionStore; redis: Redis; close(): Promise<void> } {
  const redis = new Redis(redisUrl);
  const prefix = `rampart:test:${randomBytes(6).toString("hex")}:`;
  return {
    store: new RedisSessionStore(redis, { prefix }),
    redis,
    close: async () => {
      await deleteByPrefix(redis, prefix);
      await redis.quit();
    },
  };
}

if (url) {
  runSessionStoreConformance("redis", async () => {
    const { store, close } = openStore(url);
    let nextUserId = 1;
    return { sessions: store, newUserId: async () => nextUserId++, close };
  });

  describe("redis session keys", () => {
    let h: ReturnType<typeof openStore> | undefined;
    before(() => {
      h = openStore(url);
    });
    after(async () => {
      await h?.close();
    });

    it("expire at the session's absolute expiry and vanish on delete", async () => {
      assert.ok(h, "store opened");
      const s = makeSession(42, { expiresAt: new Date(Date.now() + 10_000) });
      await h.store.create(s);
      const keys = await h.redis.keys(`${h.store.prefix}*`);
      assert.ok(keys.length >= 3, `keys: ${keys.join(", ")}`);
      for (const key of keys.filter((k) => /:(t|s|u):/.test(k))) {
        const ttl = await h.redis.pttl(key);
        assert.ok(ttl > 8_000 && ttl <= 10_000, `${key} ttl ${ttl}`);
      }
      assert.equal(await h.store.delete(s.id), true);
      const left = await h.redis.keys(`${h.store.prefix}*`);
      assert.deepEqual(left, [], "no key left behind");
    });
  });
} else if (process.env.CI) {
  it("redis session store runs under CI", () => assert.fail("RAMPART_TEST_REDIS_URL is not set"));
} else {
  it("redis session store conformance", { skip: "RAMPART_TEST_REDIS_URL not set" }, () => undefined);
}
