/**
 * A database outage with Redis sessions, on PostgreSQL and MariaDB (three instances, the database behind a fault
 * proxy, a private Redis): logout still works and its end reaches the database once it is back, even across a
 * Redis restored from an old snapshot; signed-in users keep read access through the guards (never writes);
 * nothing answers 500.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  appWithWrite,
  CLUSTER_DIALECTS,
  CLUSTER_PASSWORD,
  eventually,
  logoutOf,
  sameBrowserOn,
  signInOn,
  skipUnlessConfigured,
  useCluster,
  type Browser,
} from "../helpers/in-process-cluster.js";
import type { Reply, TestClient } from "../helpers/client.js";

function assertUnavailable(reply: Reply, what: string): void {
  assert.equal(reply.status, 503, `${what}: ${reply.status} ${reply.body}`);
  assert.ok(Number(reply.headers.get("retry-after")) > 0, `${what}: Retry-After`);
  assert.deepEqual(reply.json.meta, { code: 503 }, `${what}: the contract's error shape`);
}

for (const dialect of CLUSTER_DIALECTS) {
  describe(`a database outage with Redis sessions on ${dialect}`, { skip: skipUnlessConfigured(dialect) }, () => {
    const cluster = useCluster(dialect);
    afterEach(() => cluster.proxy.mode("pass"));
    const on = (i: number, b: Browser) => sameBrowserOn(cluster, i, b.client, appWithWrite);
    const get = (c: TestClient, path = "/api/protected") => c.get(path, { acceptJson: true });
    async function statusEverywhere(b: Browser): Promise<number[]> {
      return Promise.all([0, 1, 2].map(async (i) => (await get(on(i, b))).status));
    }
    async function signIn(email: string, i: number, extra: Record<string, unknown> = {}): Promise<Browser> {
      const b = await signInOn(cluster, email, i, extra);
      // The first guarded read also keeps the user's roles with the session (what outage reads go by).
      assert.equal((await get(b.client)).status, 200);
      return b;
    }
    const logout = logoutOf;

    it("logout during the outage answers as usual, the session is refused at once and stays refused after the database returns, even from an old Redis snapshot; reads go on, writes get 503", async () => {
      const email = "Outage.Reader+1@Sub.Example.test";
      const api = cluster.instances[0]!.api;
      const user = await api.createUser({ email, password: CLUSTER_PASSWORD });
      await api.createRole({ name: "admin" });
      await api.addRoleToUser(user, "admin");
      const leaving = await signIn(email, 0);
      const staying = await signIn(email, 1);
      assert.equal((await get(on(2, leaving), "/api/admin")).status, 200);
      const normalLogout = await logout(await signIn(email, 2));
      const oldRedis = await cluster.redis.snapshot();

      cluster.proxy.mode("refuse");
      for (let i = 0; i < 3; i++) {
        assert.equal((await get(on(i, leaving))).status, 200, `a guarded read on instance ${i}`);
        assert.equal((await get(on(i, leaving), "/api/admin")).status, 200, `roles kept with the session (${i})`);
      }
      const write = await on(1, leaving).post("/api/write", {
        json: {},
        headers: { "x-csrf-token": leaving.csrf },
        acceptJson: true,
      });
      assertUnavailable(write, "a guarded write");
      const revoke = await on(1, leaving).post("/sessions/revoke", {
        json: { scope: "others" },
        headers: { "x-csrf-token": leaving.csrf },
        acceptJson: true,
      });
      assertUnavailable(revoke, "revoking sessions needs the database");
      assertUnavailable(await get(on(1, leaving), "/sessions"), "Rampart's own pages need the database");

      const copy = on(2, leaving);
      const out = await logout(leaving);
      assert.equal(out.status, 200, out.body);
      assert.deepEqual(out.json, normalLogout.json, "the same answer as a logout with the database up");
      assert.deepEqual(await statusEverywhere({ client: copy, csrf: "" }), [401, 401, 401], "refused at once");

      // Double fault: Redis goes back to a snapshot from before the logout while the database is still down.
      await cluster.restoreRedis(oldRedis);
      assert.equal((await get(on(0, { client: copy, csrf: "" }))).status, 401, "the instance that queued it refuses");
      assert.equal(
        (await get(on(1, { client: copy, csrf: "" }))).status,
        200,
        "documented: another instance can only go by the snapshot (reads only, bounded by its age)",
      );
      assertUnavailable(
        await on(1, { client: copy, csrf: "" }).post("/api/write", {
          json: {},
          headers: { "x-csrf-token": leaving.csrf },
          acceptJson: true,
        }),
        "never a write",
      );

      cluster.proxy.mode("pass");
      assert.ok(
        await eventually(async () => (await statusEverywhere({ client: copy, csrf: "" })).every((s) => s === 401)),
        "refused everywhere once the queued end reached the database",
      );
      await cluster.restoreRedis(oldRedis);
      assert.deepEqual(
        await statusEverywhere({ client: copy, csrf: "" }),
        [401, 401, 401],
        "and after Redis goes back to the old snapshot again",
      );
      assert.deepEqual(await statusEverywhere(staying), [200, 200, 200], "the other session goes on");
      const audit = await api.auditEvents({ userId: user.id, event: "logout" });
      assert.ok(audit.length >= 1);
    });

    it("without recent user data kept with the session the answer is 503 (never a sign-out); a sign-out still works and ends its remember cookie once the database is back", async () => {
      const email = "stale-snapshot.user@example.test";
      await cluster.instances[0]!.api.createUser({ email, password: CLUSTER_PASSWORD });
      const b = await signIn(email, 0, { remember: true });
      const rememberName = cluster.instances[0]!.config.session.rememberCookieName;
      const remembered = cluster.client(1);
      remembered.jar.set(rememberName, b.client.jar.get(rememberName)!);
      const sessionCopy = cluster.client(2);
      const sessionName = cluster.instances[0]!.config.session.cookieName;
      sessionCopy.jar.set(sessionName, b.client.jar.get(sessionName)!);

      cluster.proxy.mode("refuse");
      cluster.advance(cluster.instances[0]!.config.session.outageReadMaxAgeSeconds + 1);
      assertUnavailable(await get(on(1, b)), "a read the session store cannot prove");
      const out = await logout(b);
      assert.equal(out.status, 200, out.body);
      assert.equal((await get(sessionCopy)).status, 401, "refused at once");

      cluster.proxy.mode("pass");
      assert.ok(
        await eventually(async () => (await get(remembered)).status === 401),
        "the remember cookie's record was deleted once the database was back",
      );
    });

    it("a deactivated user's session stays refused after Redis goes back to a snapshot", async () => {
      const email = "Deactivated.Later@Example.test";
      const api = cluster.instances[0]!.api;
      const user = await api.createUser({ email, password: CLUSTER_PASSWORD });
      const b = await signIn(email, 1);
      const oldRedis = await cluster.redis.snapshot();
      assert.equal(await api.deactivateUser(user), true);
      assert.deepEqual(await statusEverywhere(b), [401, 401, 401]);
      await cluster.restoreRedis(oldRedis);
      assert.deepEqual(await statusEverywhere(b), [401, 401, 401]);
      await api.activateUser(user);
      assert.deepEqual(await statusEverywhere(b), [401, 401, 401], "reactivation revives no session");
    });
  });
}
