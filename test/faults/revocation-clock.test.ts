/**
 * Revoking all sessions with instances whose clocks disagree (PostgreSQL and MariaDB, a private Redis): a session
 * made on an instance running fast, shortly before another instance revoked all, stays ended when Redis goes back
 * to a snapshot that still holds it; sessions made after the revocation work, on either instance.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Redis } from "ioredis";
import {
  CLUSTER_DIALECTS,
  CLUSTER_PASSWORD,
  sameBrowserOn,
  signInOn,
  skipUnlessConfigured,
  useCluster,
} from "../helpers/in-process-cluster.js";
import type { TestClient } from "../helpers/client.js";

/** Instance 0 runs this far ahead, instance 2 this far behind: within the clock tolerance (60 s). */
const SKEW_SECONDS = 45;

for (const dialect of CLUSTER_DIALECTS) {
  describe(`revoke all across skewed clocks on ${dialect}`, { skip: skipUnlessConfigured(dialect) }, () => {
    const cluster = useCluster(dialect, { instances: 3, clockOffsetSeconds: [SKEW_SECONDS, 0, -SKEW_SECONDS] });
    const statuses = async (b: TestClient) =>
      Promise.all(
        [0, 1, 2].map(
          async (i) => (await sameBrowserOn(cluster, i, b).get("/api/protected", { acceptJson: true })).status,
        ),
      );
    const signIn = (email: string, i: number) => signInOn(cluster, email, i);

    it("a session made on the fast instance just before a revoke-all on the other stays ended after a Redis snapshot restore; later sign-ins work", async () => {
      const email = "Fast.Clock-Victim+skew@Sub.Example.test";
      await cluster.instances[0]!.api.createUser({ email, password: CLUSTER_PASSWORD });
      const stolen = await signIn(email, 0);
      assert.deepEqual(await statuses(stolen.client), [200, 200, 200]);
      const snapshot = await cluster.redis.snapshot();

      // Redis loses its data (so the revocation cannot list the stolen session), the owner signs in again on
      // the instance with the right clock and ends every session.
      const direct = new Redis(cluster.redis.url);
      await direct.flushall();
      await direct.quit();
      const owner = await signIn(email, 1);
      const revoked = await owner.client.post("/sessions/revoke", {
        json: { scope: "all" },
        headers: { "x-csrf-token": owner.csrf },
        acceptJson: true,
      });
      assert.equal(revoked.status, 200, revoked.body);
      assert.deepEqual(await statuses(owner.client), [401, 401, 401]);

      await cluster.restoreRedis(snapshot);
      assert.deepEqual(await statuses(stolen.client), [401, 401, 401], "the session from before the revocation");

      const onFast = await signIn(email, 0);
      const onRight = await signIn(email, 1);
      const onSlow = await signIn(email, 2);
      assert.deepEqual(await statuses(onFast.client), [200, 200, 200], "signed in on the fast instance afterwards");
      assert.deepEqual(
        await statuses(onRight.client),
        [200, 200, 200],
        "signed in on the revoking instance afterwards",
      );
      assert.deepEqual(await statuses(onSlow.client), [200, 200, 200], "signed in on the slow instance afterwards");
    });
  });
}
