/**
 * What a database outage may serve from Redis, on PostgreSQL and MariaDB (instances sharing the database behind a
 * fault proxy and a private Redis): a session ended while Redis was down (a password reset, a deactivation) is
 * not proved by the user data kept with it once Redis is back and the database goes away; and a database that is
 * only busy (a lock held by another client, a full pool) is no outage: nothing is served from Redis then.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runtimeOf } from "../../src/internal.js";
import { lockUserTable } from "../helpers/fault-load.js";
import {
  CLUSTER_DIALECTS,
  CLUSTER_PASSWORD,
  eventually,
  sameBrowserOn,
  skipUnlessConfigured,
  useCluster,
} from "../helpers/in-process-cluster.js";
import { linksIn, startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";

const NEW = "a completely new passphrase";

for (const dialect of CLUSTER_DIALECTS) {
  describe(
    `outage reads after a failed session sweep, and saturation, on ${dialect}`,
    { skip: skipUnlessConfigured(dialect) },
    () => {
      let sink: SmtpSink;
      before(async () => {
        sink = await startSmtpSink();
      });
      const cluster = useCluster(dialect, () => ({
        instances: 2,
        config: {
          recovery: { enabled: true },
          // Small bounds so a busy database shows quickly: two connections, six waiting requests, 500 ms waits.
          database: { poolSize: 2, poolQueueLimit: 6, connectTimeoutMs: 500, statementTimeoutMs: 500 },
          mail: { server: "127.0.0.1", port: sink.port, timeoutMs: 5000 },
        },
      }));
      after(async () => {
        await sink?.close();
      });

      const status = async (i: number, from: Parameters<typeof sameBrowserOn>[2]) =>
        (await sameBrowserOn(cluster, i, from).get("/api/protected", { acceptJson: true })).status;

      it("a reset and a deactivation committed while Redis is down: once Redis is back and the database is cut, the old sessions' guarded reads are refused on every instance", async () => {
        const api = cluster.instances[0]!.api;
        const resetEmail = "Reset.While-Down+1@Sub.Example.test";
        const goneEmail = "deactivated.while.down@example.test";
        await api.createUser({ email: resetEmail, password: CLUSTER_PASSWORD });
        const gone = await api.createUser({ email: goneEmail, password: CLUSTER_PASSWORD });
        const thief = cluster.client(1);
        assert.equal((await thief.login(resetEmail, CLUSTER_PASSWORD)).status, 200);
        const other = cluster.client(1);
        assert.equal((await other.login(goneEmail, CLUSTER_PASSWORD)).status, 200);
        for (const i of [0, 1]) assert.equal(await status(i, thief), 200, `signed in, instance ${i}`);
        for (const i of [0, 1]) assert.equal(await status(i, other), 200);

        const c = cluster.client(0);
        const asked = await c.post("/reset", {
          json: { email: resetEmail },
          headers: { "x-csrf-token": await c.csrf() },
        });
        assert.equal(asked.status, 200, asked.body);
        const mail = await sink.waitFor((m) => m.envelopeTo.some((a) => a.toLowerCase() === resetEmail.toLowerCase()));
        const link = new URL(linksIn(mail).find((u) => u.startsWith("https://app.test/reset/"))!).pathname;

        // Redis stops (its data on disk, as a Redis with persistence keeps it) while both changes commit.
        const onDisk = await cluster.redis.snapshot();
        await cluster.redis.stop();
        const r = cluster.client(0);
        const reset = await r.post(link, {
          json: { password: NEW, password_confirm: NEW },
          headers: { "x-csrf-token": await r.csrf() },
        });
        assert.equal(reset.status, 200, reset.body);
        assert.equal(await api.deactivateUser(gone), true);
        await cluster.restoreRedis(onDisk);
        // The instance that made the changes deletes the sessions as soon as Redis answers (retried every 250 ms).
        const store = runtimeOf(cluster.instances[1]!).sessions;
        const resetUser = (await api.findUser(resetEmail))!;
        await eventually(async () => {
          const left = await Promise.all([resetUser.id, gone.id].map((id) => store.listForUser(id)));
          return left.every((sessions) => sessions.length === 0);
        });

        cluster.proxy.mode("refuse");
        try {
          for (const i of [0, 1]) {
            assert.equal(await status(i, thief), 401, `the reset's old session, instance ${i}`);
            assert.equal(await status(i, other), 401, `the deactivated user's session, instance ${i}`);
          }
        } finally {
          cluster.proxy.mode("pass");
        }
        assert.equal((await cluster.client(1).login(resetEmail, NEW)).status, 200, "the new password is in force");
      });

      it("the instance that changed the password stops before Redis is back: the instance started in its place deletes the old sessions, so a database cut then serves them nowhere", async () => {
        const api = cluster.instances[0]!.api;
        const email = "Restarted.Instance+sweep@Sub.Example.test";
        const user = await api.createUser({ email, password: CLUSTER_PASSWORD });
        const thief = cluster.client(1);
        assert.equal((await thief.login(email, CLUSTER_PASSWORD)).status, 200);
        for (const i of [0, 1]) assert.equal(await status(i, thief), 200, `signed in, instance ${i}`);

        const onDisk = await cluster.redis.snapshot();
        await cluster.redis.stop();
        await api.changePassword(user, NEW);
        // Instance 0 stops while Redis is still down: the deletion it kept in its process is lost with it.
        await cluster.instances[0]!.close();
        await cluster.redis.restore(onDisk);
        const store = runtimeOf(cluster.instances[1]!).sessions;
        assert.ok(
          await eventually(async () => (await store.listForUser(user.id).catch(() => [1])).length > 0, 5000),
          "Redis is back, with the old session in it",
        );
        await cluster.restart(0);
        await eventually(async () => (await store.listForUser(user.id)).length === 0);

        cluster.proxy.mode("refuse");
        try {
          for (const i of [0, 1]) assert.equal(await status(i, thief), 401, `the old session, instance ${i}`);
        } finally {
          cluster.proxy.mode("pass");
        }
        assert.equal((await cluster.client(0).login(email, NEW)).status, 200, "the new password is in force");
      });

      it("a busy database (the user table locked by another client, the pool full) answers 503: nothing is served from the session store", async () => {
        const email = "Busy.Database+lock@Sub.Example.test";
        await cluster.instances[0]!.api.createUser({ email, password: CLUSTER_PASSWORD });
        const b = cluster.client(0);
        assert.equal((await b.login(email, CLUSTER_PASSWORD)).status, 200);
        assert.equal(await status(0, b), 200);
        assert.equal(await status(1, b), 200, "the user data kept with the session is fresh");

        const lock = await lockUserTable(dialect, cluster.databaseUrl);
        let statuses: number[];
        try {
          // More requests than the small pool and its queue hold: lock waits, pool waits and a full queue.
          statuses = await Promise.all(Array.from({ length: 12 }, (_, n) => status(n % 2, b)));
        } finally {
          await lock.release();
        }
        assert.deepEqual(
          statuses,
          statuses.map(() => 503),
          "a database that is only busy is not an outage: 503, never a read from the session store",
        );
        assert.equal(await status(0, b), 200, "served again once the lock is gone");
      });
    },
  );
}
