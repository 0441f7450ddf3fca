import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { Redis } from "ioredis";
import { RedisSessionStore } from "../../src/datastore/redis-sessions.js";
import type { TestClient } from "../helpers/client.js";

const url = process.env.RAMPART_TEST_REDIS_URL;
if (!url && process.env.CI)
  throw new Error("CI run without RAMPART_TEST_REDIS_URL: Redis session tests must run in CI");
const PASSWORD = "correct horse battery";

describe("sessions kept in Redis", { skip: !url && "no Redis configured" }, () => {
  let app: TestApp;
  let store: RedisSessionStore;
  let redis: Redis;
  before(async () => {
    store = RedisSessionStore.connect(url!, { prefix: `rampart-test:${randomBytes(6).toString("hex")}:` });
    redis = new Redis(url!);
    app = await createTestApp({ sessionStore: store });
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  });
  after(async () => {
    await app.close();
    await store.close();
    await redis.quit();
  });

  const status = async (c: TestClient) => (await c.get("/api/protected", { acceptJson: true })).status;
  const rememberName = () => app.rampart.config.session.rememberCookieName;
  function copyOfRemember(from: TestClient): TestClient {
    const thief = app.client();
    thief.jar.set(rememberName(), from.jar.get(rememberName())!);
    return thief;
  }
  /** A client holding only a copy of `from`'s session cookie. */
  function copyOfSession(from: TestClient): TestClient {
    const name = app.rampart.config.session.cookieName;
    const copy = app.client();
    copy.jar.set(name, from.jar.get(name)!);
    return copy;
  }
  /** Every key of this store, dumped (what a Redis snapshot holds). */
  async function snapshot(): Promise<[string, Buffer, number][]> {
    const keys = await redis.keys(`${store.prefix}*`);
    return Promise.all(
      keys.map(async (k) => [k, (await redis.dumpBuffer(k))!, await redis.pttl(k)] as [string, Buffer, number]),
    );
  }
  async function empty(): Promise<void> {
    const keys = await redis.keys(`${store.prefix}*`);
    if (keys.length) await redis.del(...keys);
  }
  async function restore(dump: [string, Buffer, number][]): Promise<void> {
    await empty();
    for (const [k, v, ttl] of dump) await redis.restore(k, ttl > 0 ? ttl : 0, v, "REPLACE");
  }

  it("login, protected access, listing, revoking others and logout all work against Redis", async () => {
    const a = app.client();
    const b = app.client();
    const login = await a.login("alice@x.test", PASSWORD);
    await b.login("alice@x.test", PASSWORD);
    assert.equal((await a.get("/api/protected", { acceptJson: true })).status, 200);
    assert.equal((await a.get("/sessions", { acceptJson: true })).json.response.sessions.length, 2);
    const csrf = login.json.response.csrf_token;
    assert.equal(
      (await a.post("/sessions/revoke", { json: { scope: "others" }, headers: { "x-csrf-token": csrf } })).status,
      200,
    );
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

  it("revocations are checked against the database: an emptied Redis signs nobody out for good, and a restored one revives no ended session or revoked remember cookie", async () => {
    const email = "Rem-Redis.x+1@Sub.Example.test";
    await app.rampart.api.createUser({ email, password: PASSWORD });
    const kept = app.client();
    await kept.login(email, PASSWORD, { remember: true });
    const leaving = app.client();
    const login = await leaving.login(email, PASSWORD, { remember: true });
    const thief = copyOfRemember(leaving);
    const leavingSession = copyOfSession(leaving);
    const before = await snapshot();
    assert.equal(
      (await leaving.post("/logout", { json: {}, headers: { "x-csrf-token": login.json.response.csrf_token } })).status,
      200,
    );

    await empty();
    assert.equal(
      await status(kept),
      200,
      "a remembered browser is restored from its database record after Redis lost every session",
    );
    assert.equal(await status(thief), 401, "the signed-out browser's remember cookie stays dead");

    await restore(before);
    assert.equal(
      await status(thief),
      401,
      "a Redis restored from before the logout does not revive the remember cookie",
    );
    assert.equal(await status(leavingSession), 401, "nor the signed-out session (its end is in the database)");

    const other = app.client();
    const otherLogin = await other.login(email, PASSWORD, { remember: true });
    const thief2 = copyOfRemember(other);
    const otherSession = copyOfSession(other);
    const beforeRevoke = await snapshot();
    assert.equal(
      (
        await other.post("/sessions/revoke", {
          json: { scope: "all" },
          headers: { "x-csrf-token": otherLogin.json.response.csrf_token },
        })
      ).status,
      200,
    );
    await restore(beforeRevoke);
    assert.equal(await status(thief2), 401, "revoking all sessions is not undone by a restored Redis");
    assert.equal(await status(otherSession), 401, "for the sessions either");

    // Revoking one session, then the others, from a fourth browser; each undone in Redis by a restored snapshot.
    const owner = app.client();
    const ownerLogin = await owner.login(email, PASSWORD, { remember: true });
    const ownerCsrf = ownerLogin.json.response.csrf_token as string;
    const one = app.client();
    await one.login(email, PASSWORD, { remember: true });
    const oneCopy = copyOfRemember(one);
    const oneId = (await one.get("/sessions", { acceptJson: true })).json.response.sessions.find(
      (s: { current: boolean }) => s.current,
    ).id;
    const beforeOne = await snapshot();
    assert.equal(
      (await owner.post("/sessions/revoke", { json: { id: oneId }, headers: { "x-csrf-token": ownerCsrf } })).json
        .response.revoked,
      1,
    );
    await restore(beforeOne);
    assert.equal(await status(oneCopy), 401, "revoking one session is not undone by a restored Redis");
    assert.equal(await status(one), 401, "for the session either");
    const other2 = app.client();
    await other2.login(email, PASSWORD, { remember: true });
    const other2Copy = copyOfRemember(other2);
    const beforeOthers = await snapshot();
    assert.equal(
      (await owner.post("/sessions/revoke", { json: { scope: "others" }, headers: { "x-csrf-token": ownerCsrf } }))
        .status,
      200,
    );
    await restore(beforeOthers);
    assert.equal(await status(other2Copy), 401, "signing out the others is not undone by a restored Redis");
    assert.equal(await status(other2), 401, "for their sessions either");
    assert.equal(await status(owner), 200, "the caller's session stays");
    assert.equal(await status(copyOfRemember(owner)), 200, "the caller's own remember cookie stays");

    const changed = app.client();
    await changed.login(email, PASSWORD, { remember: true });
    const changedCopy = copyOfRemember(changed);
    const beforeChange = await snapshot();
    await app.rampart.api.changePassword((await app.rampart.api.findUser(email))!, PASSWORD + "?");
    await restore(beforeChange);
    assert.equal(await status(changed), 401, "a new password: the restored session is refused (uniquifier)");
    assert.equal(await status(changedCopy), 401, "and the remember cookie");
    await app.rampart.api.changePassword((await app.rampart.api.findUser(email))!, PASSWORD);

    const third = app.client();
    await third.login(email, PASSWORD, { remember: true });
    const thief3 = copyOfRemember(third);
    const beforeDeactivate = await snapshot();
    const user = (await app.rampart.api.findUser(email))!;
    await app.rampart.api.deactivateUser(user);
    await app.rampart.api.activateUser(user);
    await restore(beforeDeactivate);
    assert.equal(await status(third), 401, "deactivation rotated the uniquifier: the restored session is refused");
    assert.equal(await status(thief3), 401, "and so is the remember cookie");
  });

  it("revoking all after Redis lost its sessions also ends those an older snapshot brings back", async () => {
    const email = "Emptied.Redis+3@Sub.Example.test";
    await app.rampart.api.createUser({ email, password: PASSWORD });
    const old = [app.client(), app.client()];
    for (const c of old) await c.login(email, PASSWORD);
    const before = await snapshot();
    await empty();
    const now = app.client();
    const login = await now.login(email, PASSWORD);
    const revoke = await now.post("/sessions/revoke", {
      json: { scope: "all" },
      headers: { "x-csrf-token": login.json.response.csrf_token },
    });
    assert.equal(revoke.json.response.revoked, 1, "the emptied store listed only the new session");
    await restore(before);
    for (const c of old) assert.equal(await status(c), 401, "a session from before the emptying stays ended");
    const admin = app.client();
    await admin.login(email, PASSWORD);
    const beforeAdmin = await snapshot();
    await empty();
    assert.equal(await app.rampart.api.revokeSessions((await app.rampart.api.findUser(email))!, { scope: "all" }), 0);
    await restore(beforeAdmin);
    assert.equal(await status(admin), 401, "the same for an admin's revocation of every session");
  });

  it("a reused remember cookie ends the copy's session, and a restored Redis does not bring it back", async () => {
    const email = "Reuse-Redis.x+2@Sub.Example.test";
    await app.rampart.api.createUser({ email, password: PASSWORD });
    const owner = app.client();
    await owner.login(email, PASSWORD, { remember: true });
    const thief = copyOfRemember(owner);
    assert.equal(await status(thief), 200, "the copy restores first (and rotates the secret)");
    const before = await snapshot();
    app.advance(60);
    owner.jar.delete(app.rampart.config.session.cookieName);
    assert.equal(await status(owner), 401, "the owner's replaced secret is a reuse: the family ends");
    assert.equal(await status(thief), 401, "the copy's restored session ended");
    await restore(before);
    assert.equal(await status(thief), 401, "a Redis restored from before the reuse does not revive the copy's session");
    app.advance(-60);
  });
});
