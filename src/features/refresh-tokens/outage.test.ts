/**
 * A sign-out during a database outage (Redis sessions, the database behind a fault proxy, PostgreSQL and MariaDB):
 * the refresh token family it names ends durably. Until the queued revocation is written, every instance already
 * refuses the family; once the database is back, it is revoked in the table.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  CLUSTER_DIALECTS,
  CLUSTER_PASSWORD,
  eventually,
  skipUnlessConfigured,
  useCluster,
  type Cluster,
} from "../../../test/helpers/in-process-cluster.js";
import type { Reply } from "../../../test/helpers/client.js";
import { mobileConfig, reasonOf } from "./testing/kit.js";

function cookieless(cluster: Cluster, i: number) {
  return async (method: string, path: string, options: Parameters<ReturnType<Cluster["client"]>["request"]>[2]) => {
    const c = cluster.client(i);
    const reply: Reply = await c.request(method, path, options);
    return reply;
  };
}

for (const dialect of CLUSTER_DIALECTS) {
  describe(`refresh token families and a database outage (${dialect})`, { skip: skipUnlessConfigured(dialect) }, () => {
    const cluster = useCluster(dialect, { config: mobileConfig });
    afterEach(() => cluster.proxy.mode("pass"));

    it("a browser's logout while the database is down ends the family it presents: refused at once on every instance, revoked in the database once it is back", async () => {
      const email = "Outage.Mobile+rt@Sub.Example-Host.test";
      await cluster.instances[0]!.api.createUser({ email, password: CLUSTER_PASSWORD });
      // A browser app: a session (in Redis) plus a refresh token it keeps in JSON.
      const browser = cluster.client(0);
      const signIn = await browser.post("/login?include_auth_token", { json: { email, password: CLUSTER_PASSWORD } });
      assert.equal(signIn.status, 200, signIn.body);
      const { authentication_token: access, refresh_token: refresh } = signIn.json.response.user;
      const use = async (i: number) =>
        (
          await cookieless(cluster, i)("GET", "/api/protected", {
            headers: { "authentication-token": access },
            acceptJson: true,
          })
        ).status;
      assert.equal(await use(1), 200);

      cluster.proxy.mode("refuse");
      const out = await browser.post("/logout", {
        json: { refresh_token: refresh },
        headers: { "x-csrf-token": signIn.json.response.csrf_token },
        acceptJson: true,
      });
      assert.equal(out.status, 200, out.body);
      cluster.proxy.mode("pass");

      // At once, on another instance: the queued revocation already counts.
      const refreshed = await cookieless(cluster, 1)("POST", "/refresh-token", { json: { refresh_token: refresh } });
      assert.equal(reasonOf(refreshed), "REVOKED");
      assert.equal(await use(2), 401);
      // And it reaches the database: a fresh instance (no queue of its own) refuses it too.
      const written = await eventually(async () => {
        await cluster.restart(2);
        const r = await cookieless(cluster, 2)("POST", "/refresh-token", { json: { refresh_token: refresh } });
        return r.status === 400;
      }, 5000);
      assert.ok(written, "the revocation was written to the database");
      assert.equal(await use(2), 401);
    });
  });
}
