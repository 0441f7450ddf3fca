/**
 * Faults under load on three real `rampart serve` processes sharing PostgreSQL (behind a fault proxy), a private
 * Redis (sessions and the lock budget) and a loopback SMTP relay: the database cut then frozen, Redis stopped,
 * SMTP down, Redis put back to an old snapshot. Every answer during a fault is a success or a 503 with
 * Retry-After, fast; all three heal within a second; afterwards no user is lost, partial or duplicated, nothing
 * revoked works again, every accepted mail arrives exactly once, and a reset link works once across the three.
 */
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { runCli } from "../cli/helpers.js";
import type { Reply, TestClient } from "../helpers/client.js";
import { assertOneLockBudget, loginOn, startCluster, type Cluster } from "../helpers/cluster.js";
import { assertFailedFast, healedWithin, underLoad, type Answer, type Step } from "../helpers/fault-load.js";
import { startPrivateRedis, type PrivateRedis } from "../helpers/private-redis.js";
import { linksIn, startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";

const haveServices = Boolean(process.env.RAMPART_TEST_POSTGRES_URL && process.env.RAMPART_TEST_REDIS_URL);
if (!haveServices && process.env.CI) throw new Error("CI run without PostgreSQL/Redis URLs: cluster tests must run");

const PASSWORD = "correct horse battery";
// Small bounds so a fault shows within a second or two. The connect timeout also bounds each process's first
// connection at start, when three processes load at once on a busy machine: not smaller. An answer during a
// fault takes at most a connect wait plus a statement's, plus room for a loaded 2-core CI machine (a
// registration there takes up to ~3 s with no fault at all); a hang would last as long as the fault and more.
const DB = { connectMs: 1500, statementMs: 400 };
const ANSWER_BOUND_MS = DB.connectMs + DB.statementMs + 3000;
// About a second: the probe itself (a guarded GET and a sign-in on each of the three) takes a few hundred ms of it
// on a busy machine.
const HEAL_MS = 1500;
const observe = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Statuses counted per kind of request, for the notes and a failing assertion's message. */
function tally(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(`${a.what} ${a.status}`, (counts.get(`${a.what} ${a.status}`) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${k}: ${v}`).join(", ");
}

/** The same steps, noting in `ok` the name of each once it has succeeded. */
function noting(steps: Record<string, Step>, ok: Set<string>): Record<string, Step> {
  const wrap =
    (name: string, step: Step): Step =>
    async (n) => {
      const r = await step(n);
      if (r.status === 200) ok.add(name);
      return r;
    };
  return Object.fromEntries(Object.entries(steps).map(([name, step]) => [name, wrap(name, step)]));
}

/** Waits until every step has succeeded at least once: the load is steady before the fault (a busy CI machine). */
async function steady(steps: Record<string, Step>, ok: Set<string>, capMs = 30_000): Promise<void> {
  const deadline = Date.now() + capMs;
  while (!Object.keys(steps).every((name) => ok.has(name))) {
    assert.ok(Date.now() < deadline, `no steady load: succeeded only ${[...ok].join(", ")}`);
    await observe(50);
  }
}

/** The same browser on another instance (a balancer sent its next request elsewhere). */
function on(cluster: Cluster, i: number, from: TestClient): TestClient {
  const c = cluster.client(i);
  for (const [k, v] of from.jar) c.jar.set(k, v);
  return c;
}

describe(
  "faults under load on three rampart serve processes",
  { skip: !haveServices && "services not configured" },
  () => {
    let cluster: Cluster;
    let redis: PrivateRedis;
    let sink: SmtpSink;
    const received: SmtpSink[] = [];

    before(async () => {
      redis = await startPrivateRedis();
      sink = await startSmtpSink();
      received.push(sink);
      cluster = await startCluster({
        redisUrl: redis.url,
        databaseProxy: true,
        env: {
          SECURITY_REGISTERABLE: "true",
          SECURITY_RECOVERABLE: "true",
          SECURITY_USERNAME_ENABLE: "true",
          RAMPART_BASE_URL: "http://app.test",
          RATE_LIMIT_STORE: "redis",
          // One test source sends everything: its own budgets out of the way (the lockout is what is tested).
          RATE_LIMIT_SOURCE_ATTEMPTS: "100000",
          RATE_LIMIT_SOURCE_FAILURES: "10000",
          RATE_LIMIT_SENDS_PER_SOURCE: "100000",
          MAIL_SERVER: "127.0.0.1",
          MAIL_PORT: String(sink.port),
          RAMPART_MAIL_TIMEOUT_MS: "1000",
          RAMPART_OUTBOX_RETRY_BASE: "1",
          RAMPART_OUTBOX_RETRY_MAX: "2",
          RAMPART_OUTBOX_POLL_INTERVAL: "1",
          RAMPART_OUTBOX_LEASE: "5",
          RAMPART_OUTBOX_MAX_ATTEMPTS: "30",
          RAMPART_DB_POOL_SIZE: "3",
          RAMPART_DB_POOL_QUEUE_LIMIT: "8",
          RAMPART_DB_CONNECT_TIMEOUT_MS: "1000",
          RAMPART_DB_STATEMENT_TIMEOUT_MS: "400",
          RAMPART_REDIS_CONNECT_TIMEOUT_MS: "1000",
          RAMPART_REDIS_RECONNECT_MAX_DELAY_MS: "100",
        },
      });
      // Warm each process up (its first registration loads the password-strength dictionaries): the load below
      // is steady from its first request.
      assert.equal((await register(0, "Steady.User+Load@Sub.Example.test")).status, 200);
      for (const i of [1, 2]) assert.equal((await register(i, `warm.up-${i}+x@sub.example.test`)).status, 200);
    });
    after(async () => {
      await cluster?.close();
      await redis?.close();
      for (const s of received) await s.close();
    });

    /** A registration on instance i (JSON, with its CSRF token). */
    async function register(i: number, email: string): Promise<Reply> {
      const c = cluster.client(i);
      const csrf = await c.csrf();
      return c.post("/register", {
        json: { email, password: PASSWORD, password_confirm: PASSWORD },
        headers: { "x-csrf-token": csrf },
      });
    }
    async function signedIn(i: number, email: string): Promise<TestClient> {
      const c = cluster.client(i);
      const csrf = await c.csrf();
      const r = await c.post("/login", { json: { email, password: PASSWORD }, headers: { "x-csrf-token": csrf } });
      assert.equal(r.status, 200, r.body);
      return c;
    }
    async function forgot(i: number, email: string): Promise<Reply> {
      const c = cluster.client(i);
      const csrf = await c.csrf();
      return c.post("/reset", { json: { email }, headers: { "x-csrf-token": csrf } });
    }
    const protectedStatus = async (c: TestClient) => (await c.get("/api/protected", { acceptJson: true })).status;

    /** Steady mixed load on every instance: sign-ins, guarded GETs (JSON and page), registrations, /reset. */
    function load(tag: string, browsers: TestClient[], registered: Map<string, number>): Record<string, Step> {
      const steps: Record<string, Step> = {};
      for (let i = 0; i < cluster.size; i++) {
        steps[`login@${i}`] = () => loginOn(cluster, i, { email: "steady.user+load@sub.example.test" }, PASSWORD);
        steps[`GET json@${i}`] = () => on(cluster, i, browsers[i]!).get("/api/protected", { acceptJson: true });
        steps[`GET page@${i}`] = () => on(cluster, i, browsers[i]!).get("/api/protected");
        steps[`register@${i}`] = async (n) => {
          const email = `${tag}.user-${n}+i${i}@Mail-${n % 3}.Sub.example.org`;
          const r = await register(i, email);
          registered.set(email, r.status);
          return r;
        };
        steps[`reset@${i}`] = (n) => forgot(i, `nobody-${tag}.${n}+x@Sub.Example.org`);
      }
      return steps;
    }
    /** Every instance serves a signed-in GET and a fresh sign-in again. */
    const allHealthy = (browsers: TestClient[]) => async () => {
      const ok = await Promise.all(
        browsers.map(async (b, i) => {
          if ((await protectedStatus(on(cluster, i, b))) !== 200) return false;
          return (await loginOn(cluster, i, { email: "steady.user+load@sub.example.test" }, PASSWORD)).status === 200;
        }),
      );
      return ok.every(Boolean);
    };
    /** Users via `rampart users list`: none twice; returns the lower-cased emails. */
    async function storedUsers(): Promise<Set<string>> {
      const listed = await runCli(["users", "list", "--json"], cluster.directEnv);
      assert.equal(listed.code, 0, listed.stderr);
      const emails = (JSON.parse(listed.stdout) as { email: string }[]).map((u) => u.email.toLowerCase());
      const set = new Set(emails);
      assert.equal(set.size, emails.length, "no user stored twice");
      return set;
    }

    /**
     * After a fault: no user stored twice, every registration answered 200 stored and able to sign in on any
     * instance; reports how many refused registrations were stored anyway.
     */
    async function everyAcceptedUserComplete(t: TestContext, registered: Map<string, number>): Promise<void> {
      const stored = await storedUsers();
      const accepted = [...registered].filter(([, s]) => s === 200).map(([e]) => e);
      assert.ok(accepted.length > 0, "some registrations were accepted");
      for (const email of accepted) assert.ok(stored.has(email.toLowerCase()), `${email} was accepted but not stored`);
      const refusedButStored = [...registered].filter(([e, s]) => s !== 200 && stored.has(e.toLowerCase())).length;
      t.diagnostic(
        `registrations: ${accepted.length} accepted, ${registered.size - accepted.length} refused (503), of which ${refusedButStored} stored anyway`,
      );
      // Complete: every accepted user signs in with the password given, on any instance.
      for (let k = 0; k < accepted.length; k += 6)
        await Promise.all(
          accepted.slice(k, k + 6).map(async (email, j) => {
            const r = await loginOn(cluster, j % cluster.size, { email }, PASSWORD);
            assert.equal(r.status, 200, `${email}: ${r.body}`);
          }),
        );
    }

    it("the steady user and the lock budget (limits in Redis): one budget across the three, `rampart users unlock` lifts it", async () => {
      const email = "Locked.Out-Ops+redis@Sub.Example.com";
      const created = await runCli(
        ["users", "create", email, "-u", "lockredis", "--password", PASSWORD, "--active"],
        cluster.env,
      );
      assert.equal(created.code, 0, created.stderr);
      await assertOneLockBudget(cluster, { email, username: "lockredis", password: PASSWORD }, 5);
    });

    it("one reset link posted to the three instances at once: exactly one new password is set, the link then dead everywhere", async () => {
      const email = "Reset.Once-Ops+link@Sub.Example.test";
      assert.equal((await register(1, email)).status, 200);
      assert.equal((await forgot(2, email.toUpperCase())).status, 200);
      const mail = await sink.waitFor(
        (m) =>
          m.envelopeTo.some((to) => to.toLowerCase() === email.toLowerCase()) &&
          linksIn(m).some((u) => u.includes("/reset/")),
        15_000,
      );
      const path = new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname;
      const clients = [0, 1, 2].map((i) => cluster.client(i));
      const csrfs = await Promise.all(clients.map((c) => c.csrf()));
      const chosen = [0, 1, 2].map((i) => `brand new passphrase ${i}`);
      const answers = await Promise.all(
        clients.map((c, i) =>
          c.post(path, {
            json: { password: chosen[i], password_confirm: chosen[i] },
            headers: { "x-csrf-token": csrfs[i]! },
          }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `one success: ${statuses.join(",")}`);
      for (const a of answers) assert.ok(a.status === 200 || a.status === 400, `${a.status} ${a.body}`);
      const winner = statuses.indexOf(200);
      for (let i = 0; i < 3; i++) {
        const r = await loginOn(cluster, (i + 1) % 3, { email }, chosen[i]!);
        assert.equal(r.status, i === winner ? 200 : 400, `password ${i} on instance ${(i + 1) % 3}`);
      }
      const again = cluster.client(winner);
      const csrf = await again.csrf();
      const reused = await again.post(path, {
        json: { password: "yet another passphrase", password_confirm: "yet another passphrase" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(reused.status, 400, "the used link is dead");
    });

    it("SMTP down: registrations and resets on the three answer 200 at once; once it is back every accepted mail arrives exactly once", async (t) => {
      const count = (s: SmtpSink, email: string) =>
        s.messages.filter((m) => m.envelopeTo.some((to) => to.toLowerCase() === email.toLowerCase())).length;
      const earlier = [0, 1, 2].map((i) => `SMTP.Earlier-${i}+r@Sub-${i}.Example.test`);
      for (const [i, email] of earlier.entries()) assert.equal((await register(i, email)).status, 200);
      for (const email of earlier)
        await sink.waitFor((m) => m.envelopeTo.some((to) => to.toLowerCase() === email.toLowerCase()), 15_000);
      // The relay goes down; the outbox keeps what is accepted meanwhile.
      const port = sink.port;
      await sink.close();
      received.splice(received.indexOf(sink), 1);
      const fresh = Array.from({ length: 12 }, (_, n) => `Mail.Down-${n}+Tag_${n}@Sub-${n % 3}.Example-Mail.test`);
      const started = performance.now();
      const answers = await Promise.all([
        ...fresh.map((email, n) => register(n % 3, email)),
        ...earlier.map((email, i) => forgot((i + 1) % 3, email.toUpperCase())),
      ]);
      const took = performance.now() - started;
      for (const a of answers) assert.equal(a.status, 200, a.body);
      assert.ok(took < ANSWER_BOUND_MS * 2, `answered without waiting for SMTP (${Math.round(took)} ms)`);
      await observe(1500); // sends and retries fail meanwhile
      sink = await startSmtpSink({ port });
      received.push(sink);
      const expected = [...fresh, ...earlier];
      const deadline = Date.now() + 30_000;
      while (expected.some((email) => count(sink, email) === 0)) {
        assert.ok(Date.now() < deadline, `mail missing: ${expected.filter((e) => count(sink, e) === 0).join(", ")}`);
        await observe(100);
      }
      const arrived = performance.now() - started;
      // Longer than a poll interval and a retry wait: a second copy from another instance would show by now.
      await observe(3000);
      for (const email of expected) assert.equal(count(sink, email), 1, `${email}: ${count(sink, email)} copies`);
      t.diagnostic(
        `SMTP down: ${answers.length} × 200 in ${Math.round(took)} ms; all ${expected.length} mails in ${Math.round(arrived)} ms, each once`,
      );
    });

    it("PostgreSQL cut, then frozen, under load: only 200/503 + Retry-After, fast; all three heal within about a second; no user lost, partial or duplicated", async (t) => {
      const browsers = await Promise.all([0, 1, 2].map((i) => signedIn(i, "steady.user+load@sub.example.test")));
      const registered = new Map<string, number>();
      const ok = new Set<string>();
      const steps = noting(load("db", browsers, registered), ok);
      const answers = await underLoad(steps, async () => {
        await steady(steps, ok);
        cluster.proxy!.mode("refuse");
        await observe(2000);
        cluster.proxy!.mode("freeze");
        await observe(2000);
      });
      cluster.proxy!.mode("pass");
      const healed = await healedWithin(allHealthy(browsers), HEAL_MS, "database back");
      t.diagnostic(
        `database cut+frozen: ${answers.length} answers (${tally(answers)}); healed in ${Math.round(healed)} ms`,
      );
      assertFailedFast(answers, ANSWER_BOUND_MS, `database cut/frozen (${tally(answers)})`);

      await everyAcceptedUserComplete(t, registered);
    });

    it("Redis stopped under load, back from its last dump: only 200/503, sign-ins again within about a second on all three; sessions revoked before the stop stay refused", async (t) => {
      const email = "redis.stop-user+s@Sub.Example.test";
      assert.equal((await register(0, email)).status, 200);
      const browsers = await Promise.all([0, 1, 2].map((i) => signedIn(i, "steady.user+load@sub.example.test")));
      const kept = await Promise.all([0, 1, 2].map((i) => signedIn(i, email)));
      const ended = await Promise.all([0, 1, 2].map((i) => signedIn(i, email)));
      // Redis writes its dump with all of them alive; then each is logged out on another instance than its own.
      await redis.snapshot();
      for (const [i, b] of ended.entries()) {
        const there = on(cluster, (i + 1) % 3, b);
        const csrf = await there.csrf();
        const out = await there.post("/logout", { json: {}, headers: { "x-csrf-token": csrf }, acceptJson: true });
        assert.equal(out.status, 200, out.body);
      }
      const registered = new Map<string, number>();
      const ok = new Set<string>();
      const steps = noting(load("redis", browsers, registered), ok);
      const answers = await underLoad(steps, async () => {
        await steady(steps, ok);
        await redis.stop();
        await observe(1500);
      });
      await redis.start();
      const healed = await healedWithin(allHealthy(browsers), HEAL_MS, "Redis back");
      t.diagnostic(`Redis stopped: ${answers.length} answers (${tally(answers)}); healed in ${Math.round(healed)} ms`);
      assertFailedFast(answers, ANSWER_BOUND_MS, `Redis stopped (${tally(answers)})`);
      for (let i = 0; i < 3; i++)
        for (const [k, b] of ended.entries())
          assert.equal(await protectedStatus(on(cluster, i, b)), 401, `logged-out session ${k} on instance ${i}`);
      for (let i = 0; i < 3; i++)
        for (const [k, b] of kept.entries())
          assert.equal(await protectedStatus(on(cluster, i, b)), 200, `kept session ${k} on instance ${i}`);
      await everyAcceptedUserComplete(t, registered);
    });
  },
);
