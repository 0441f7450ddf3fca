import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createTestApp, type TestApp } from "../../../test/helpers/app.js";
import { startPrivateRedis, type PrivateRedis } from "../../../test/helpers/private-redis.js";
import { mobileClient, mobileConfig, newUser, reasonOf } from "./testing/kit.js";
import { refreshFamilyStore } from "./store.js";

/** With sessions in Redis, refresh token families stay in the database (durable revocation), never in Redis. */
describe("refresh tokens with Redis sessions", () => {
  let server: PrivateRedis;
  let app: TestApp;
  let redis: Redis;
  before(async () => {
    server = await startPrivateRedis();
    redis = new Redis(server.url);
    app = await createTestApp({ redisUrl: server.url, config: mobileConfig });
  });
  after(async () => {
    await app.close();
    redis.disconnect();
    await server.close();
  });

  it("families live in the database; refresh, sign-out everywhere and theft detection work", async () => {
    const m = mobileClient(app);
    const email = await newUser(app, "Redis.User");
    const tokens = await m.signIn(email);
    const user = (await app.rampart.api.findUser(email))!;
    const families = await app.runtime.datastore.store(refreshFamilyStore).listForUser(user.id);
    assert.equal(families.length, 1);
    const keys = await redis.keys("*");
    assert.ok(keys.length > 0, "the sign-in's session is in Redis");
    for (const k of keys) {
      assert.ok(!k.includes(families[0]!.id), k);
      const value = (await redis.type(k)) === "string" ? ((await redis.get(k)) ?? "") : "";
      assert.ok(!value.includes(families[0]!.id), `${k} holds the family`);
    }

    const r = await m.refresh(tokens.refresh);
    assert.equal(r.status, 200, r.body);
    assert.equal(reasonOf(await m.refresh(tokens.refresh)), "GEN_MISMATCH");
    assert.equal(reasonOf(await m.refresh(r.json.response.user.refresh_token)), "REVOKED");

    const again = await m.signIn(email);
    // The two sign-ins' sessions (in Redis) and the one family still live (in the database).
    assert.equal(await app.rampart.api.revokeSessions(user, { scope: "all" }), 3);
    assert.equal(reasonOf(await m.refresh(again.refresh)), "REVOKED");
    assert.equal(await m.use(again.access), 401);
  });
});
