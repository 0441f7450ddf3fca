/**
 * Three `rampart serve` processes on one PostgreSQL and one Redis, as a scaled-out deployment runs them: what is
 * ended on one instance is ended on all at once, and an instance killed in the middle of registrations leaves no
 * user lost, partial or duplicated.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runCli } from "../cli/helpers.js";
import { assertOneLockBudget, startCluster, type Cluster } from "../helpers/cluster.js";
import { startPrivateRedis, type PrivateRedis } from "../helpers/private-redis.js";
import type { TestClient } from "../helpers/client.js";

const haveServices = Boolean(process.env.RAMPART_TEST_POSTGRES_URL && process.env.RAMPART_TEST_REDIS_URL);
if (!haveServices && process.env.CI) throw new Error("CI run without PostgreSQL/Redis URLs: cluster tests must run");

const PASSWORD = "correct horse battery";

/** Copies one client's cookies to another (the same browser reaching another instance behind a balancer). */
function sameBrowser(from: TestClient, to: TestClient): TestClient {
  for (const [k, v] of from.jar) to.jar.set(k, v);
  return to;
}

describe("three instances sharing PostgreSQL and Redis", { skip: !haveServices && "services not configured" }, () => {
  let cluster: Cluster;
  let redis: PrivateRedis;
  before(async () => {
    // A Redis of the cluster's own: sessions left by these instances never meet another test's users.
    redis = await startPrivateRedis();
    cluster = await startCluster({
      redisUrl: redis.url,
      env: {
        SECURITY_REGISTERABLE: "true",
        SECURITY_SEND_REGISTER_EMAIL: "false",
        SECURITY_USERNAME_ENABLE: "true",
        RAMPART_BASE_URL: "http://app.test",
        // The default, spelled out: the lock budget lives in the shared database.
        RATE_LIMIT_STORE: "database",
      },
    });
    const created = await runCli(
      ["users", "create", "alice-ops+admin@sub.example.com", "--password", PASSWORD, "--active"],
      cluster.env,
    );
    assert.equal(created.code, 0, created.stderr);
  });
  after(async () => {
    await cluster?.close();
    await redis?.close();
  });

  it("a session made on one instance and ended on another is refused by all three at once", async () => {
    const browser = cluster.client(0);
    const login = await browser.login("Alice-Ops+Admin@Sub.Example.com", PASSWORD);
    assert.equal(login.status, 200, login.body);
    const everywhere = [0, 1, 2].map((i) => sameBrowser(browser, cluster.client(i)));
    for (const c of everywhere) assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);

    const other = cluster.client(2);
    assert.equal((await other.login("alice-ops+admin@sub.example.com", PASSWORD)).status, 200);
    // "Sign out my other sessions" from the second browser, on instance 1.
    const fromOne = sameBrowser(other, cluster.client(1));
    const csrf = (await fromOne.get("/login", { acceptJson: true })).json.response.csrf_token as string;
    const revoked = await fromOne.post("/sessions/revoke", {
      json: { scope: "others" },
      headers: { "x-csrf-token": csrf },
    });
    assert.equal(revoked.status, 200, revoked.body);
    for (const c of everywhere)
      assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401, "revoked on every instance");
    assert.equal((await fromOne.get("/api/protected", { acceptJson: true })).status, 200, "the current one stays");
  });

  it("one lock budget across the three (limits in the database): 5 guesses judged in all, then 429 everywhere until `rampart users unlock`", async () => {
    const email = "Locked.Out-Ops+db@Sub.Example.com";
    const created = await runCli(
      ["users", "create", email, "-u", "lockdb", "--password", PASSWORD, "--active"],
      cluster.env,
    );
    assert.equal(created.code, 0, created.stderr);
    await assertOneLockBudget(cluster, { email, username: "lockdb", password: PASSWORD }, 5);
  });

  it("an instance killed mid-registration: every accepted user is complete, none twice; the rest serve on", async () => {
    const emails = Array.from({ length: 40 }, (_, i) => `new.user-${i}+tag@Mail-${i % 3}.example.org`);
    const outcome = new Map<string, number | "cut">();
    let accepted = 0;
    let killed: Promise<void> | null = null;
    const register = async (email: string, i: number) => {
      const c = cluster.client(i % 2); // instances 0 and 1; 0 is killed
      try {
        const csrf = await c.csrf();
        const r = await c.post("/register", {
          json: { email, password: PASSWORD, password_confirm: PASSWORD },
          headers: { "x-csrf-token": csrf },
        });
        outcome.set(email, r.status);
        if (r.status === 200 && ++accepted === 8) killed ??= cluster.kill(0);
      } catch {
        outcome.set(email, "cut"); // the connection died with the process: the outcome is unknown to the client
      }
    };
    await Promise.all(emails.map((e, i) => register(e, i)));
    await killed;
    assert.ok(killed, "the instance was killed while registrations were under way");
    const cut = [...outcome.values()].filter((o) => o === "cut").length;
    assert.ok(cut > 0, "some requests were in flight on the killed instance (else this proves nothing)");

    const listed = await runCli(["users", "list", "--json"], cluster.env);
    assert.equal(listed.code, 0, listed.stderr);
    const users = JSON.parse(listed.stdout) as { email: string; active: boolean }[];
    const byEmail = new Map<string, number>();
    for (const u of users) byEmail.set(u.email.toLowerCase(), (byEmail.get(u.email.toLowerCase()) ?? 0) + 1);
    for (const [email, count] of byEmail) assert.equal(count, 1, `${email} stored ${count} times`);
    for (const [email, status] of outcome)
      if (status === 200) assert.equal(byEmail.get(email.toLowerCase()), 1, `${email} was accepted but not stored`);
    // Complete: every stored new user can sign in with the password given at registration.
    const survivor = cluster.client(1);
    for (const email of emails.filter((e) => byEmail.has(e.toLowerCase()))) {
      const r = await cluster.client(2).login(email, PASSWORD);
      assert.equal(r.status, 200, `${email}: ${r.body}`);
    }
    assert.equal((await survivor.get("/login", { acceptJson: true })).status, 200, "the survivors serve on");
    await cluster.restart(0);
    assert.equal((await cluster.client(0).get("/login", { acceptJson: true })).status, 200, "the killed one restarts");
  });
});
