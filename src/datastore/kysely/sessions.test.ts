import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createTestApp, flowDialects, type TestApp } from "../../../test/helpers/app.js";
import { createIsolatedDatastore } from "../../../test/helpers/databases.js";
import { makeSession } from "../conformance/suite.js";

const PASSWORD = "correct horse battery";

for (const dialect of flowDialects()) {
  describe(`session with its user in one query (${dialect})`, () => {
    it("returns exactly what findByTokenHash and users.findById return, or null", async () => {
      const { datastore: ds, cleanup } = await createIsolatedDatastore(dialect);
      try {
        const sessions = ds.sessions;
        assert.ok(sessions.findWithUserByTokenHash, "the SQL session store offers the joined lookup");
        const user = await ds.users.create({ email: `joined.${dialect}@example.com`, username: "joined" });
        await ds.users.update(user.id, { confirmedAt: new Date(Date.now() - 5001), profile: { nick: "j" } });
        const idle = await ds.users.create({ email: `off.${dialect}@example.com` });
        await ds.users.update(idle.id, { active: false });
        for (const id of [user.id, idle.id]) {
          const s = makeSession(id);
          await sessions.create(s);
          const found = await sessions.findWithUserByTokenHash(s.tokenHash);
          assert.deepEqual(found, {
            session: await sessions.findByTokenHash(s.tokenHash),
            user: await ds.users.findById(id),
          });
          assert.deepEqual(found?.session, s);
        }
        assert.equal(await sessions.findWithUserByTokenHash("0".repeat(64)), null);
      } finally {
        await cleanup();
      }
    });
  });
}

describe("loadSession uses the joined lookup and keeps every liveness check", () => {
  const apps: TestApp[] = [];
  after(async () => {
    for (const app of apps) await app.close();
  });

  it("a session GET reads no user separately; an inactive user or a rotated uniquifier still ends the session", async () => {
    const app = await createTestApp();
    apps.push(app);
    const { api, datastore } = app.rampart;
    const user = await api.createUser({ email: "alice@x.test", password: PASSWORD, confirmed: true });
    let userReads = 0;
    const findById = datastore.users.findById.bind(datastore.users);
    datastore.users.findById = (id) => {
      userReads++;
      return findById(id);
    };
    const c = app.client();
    assert.equal((await c.login("alice@x.test", PASSWORD)).status, 200);
    const reads = userReads;
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);
    assert.equal(userReads, reads, "the user came with the session row");

    await datastore.users.update(user.id, { active: false });
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401, "inactive user");
    await datastore.users.update(user.id, { active: true });
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401, "the session was deleted");

    const d = app.client();
    assert.equal((await d.login("alice@x.test", PASSWORD)).status, 200);
    assert.equal((await d.get("/api/protected", { acceptJson: true })).status, 200);
    await datastore.users.rotateUniquifier(user.id);
    assert.equal((await d.get("/api/protected", { acceptJson: true })).status, 401, "rotated uniquifier");
  });
});
