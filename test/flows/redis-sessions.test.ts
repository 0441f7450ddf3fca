import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { RedisSessionStore } from "../../src/datastore/redis-sessions.js";

const url = process.env.RAMPART_TEST_REDIS_URL;
if (!url && process.env.CI) throw new Error("CI run without RAMPART_TEST_REDIS_URL: Redis session tests must run in CI");
const PASSWORD = "correct horse battery";

describe("sessions kept in Redis", { skip: !url && "no Redis configured" }, () => {
  let app: TestApp;
  let store: RedisSessionStore;
  before(async () => {
    store = RedisSessionStore.connect(url!, { prefix: `rampart-test:${randomBytes(6).toString("hex")}:` });
    app = await createTestApp({ sessionStore: store });
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  it("login, protected access, listing, revoking others and logout all work against Redis", async () => {
    const a = app.client();
    const b = app.client();
    const login = await a.login("alice@x.test", PASSWORD);
    await b.login("alice@x.test", PASSWORD);
    assert.equal((await a.get("/api/protected", { acceptJson: true })).status, 200);
    assert.equal((await a.get("/sessions", { acceptJson: true })).json.response.sessions.length, 2);
    const csrf = login.json.response.csrf_token;
    assert.equal((await a.post("/sessions/revoke", { json: { scope: "others" }, headers: { "x-csrf-token": csrf } })).status, 200);
    assert.equal((await b.get("/api/protected", { acceptJson: true })).status, 401);
    assert.equal((await a.post("/logout", { json: {}, headers: { "x-csrf-token": csrf } })).status, 200);
    assert.equal((await a.get("/api/protected", { acceptJson: true })).status, 401);
  });

  it("a password change by the admin ends Redis sessions too", async () => {
    const c = app.client();
    await c.login("alice@x.test", PASSWORD);
    const alice = (await app.rampart.api.findUser("alice@x.test"))!;
    await app.rampart.api.changePassword(alice, PASSWORD + "!");
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
    await app.rampart.api.changePassword(alice, PASSWORD);
  });
});
