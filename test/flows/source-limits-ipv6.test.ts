import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { TEST_PROXY, viaProxy } from "../helpers/sources.js";
import type { Reply, TestClient } from "../helpers/client.js";

/**
 * An IPv6 subscriber usually holds a whole /48 (65,536 /64s), so besides the per-/64 budgets every per-source
 * limit also counts the /48, with the budget × RATE_LIMIT_IPV6_PREFIX_FACTOR (default 4): rotating /64s inside
 * one /48 reaches 429 at the /48's cap; another /48 is served; IPv4 addresses still count one by one. The
 * requests arrive through a trusted proxy that names the client in X-Forwarded-For. Counters live in the
 * database: every dialect.
 */
const PASSWORD = "correct horse battery";
const ALICE = "Alice.O-Neil+v6@Mail.Sub.Example.test";

/** The n-th /64 inside 2001:db8:<site>::/48, with a host part that changes too. */
const inSite = (site: string, n: number) =>
  `2001:db8:${site}:${n.toString(16)}::${((n * 7 + 1) % 0x10000).toString(16)}`;

async function login(app: TestApp, client: string, password: string): Promise<Reply> {
  const c = viaProxy(app, client);
  const csrf = await c.csrf();
  return c.post("/login", { json: { email: ALICE, password }, headers: { "x-csrf-token": csrf } });
}

async function reset(app: TestApp, client: string, email: string): Promise<Reply> {
  const c = viaProxy(app, client);
  return c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } });
}

function assertLimited(r: Reply): void {
  assert.equal(r.status, 429, r.body);
  assert.ok(Number(r.headers.get("retry-after")) >= 1);
  assert.deepEqual(r.json.response.error_codes, ["TOO_MANY_REQUESTS"]);
}

for (const dialect of flowDialects()) {
  describe(`per-source limits: IPv6 counts by /48 as well as /64 (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      // One account is guessed at: its own lockout stays out of the way of the source counts.
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          trustedProxies: ["10.0.0.0/8"],
          returnGenericResponses: true,
          recovery: { enabled: true },
          lockout: { threshold: 100 },
          rateLimit: { sourceFailures: 5, sourceWindowSeconds: 60, sendsPerSource: 3 },
        },
      });
      await app.rampart.api.createUser({ email: ALICE, password: PASSWORD });
    });
    after(() => app.close());

    it("failures from 21 /64s of one /48: 20 answered (5 × 4), then 429 even from a fresh /64; another /48 signs in", async () => {
      const statuses: number[] = [];
      for (let n = 1; n <= 20; n++) statuses.push((await login(app, inSite("aa", n), "wrong")).status);
      assert.deepEqual(statuses, Array<number>(20).fill(400), "no /64 reached its own 5");
      assertLimited(await login(app, inSite("aa", 21), "wrong"));
      assertLimited(await login(app, inSite("aa", 0xffff), PASSWORD));
      const neighbour = await login(app, "2001:db8:ab::1", PASSWORD);
      assert.equal(neighbour.status, 200, neighbour.body);
    });

    it("send requests from 13 /64s of one /48: 12 answered (3 × 4), then 429; another /48 is served", async () => {
      const statuses: number[] = [];
      for (let n = 1; n <= 12; n++)
        statuses.push((await reset(app, inSite("bb", n), `someone.${n}+v6@Other${n}.Example.test`)).status);
      assert.deepEqual(statuses, Array<number>(12).fill(200));
      assertLimited(await reset(app, inSite("bb", 13), "someone.13+v6@Other13.Example.test"));
      assert.equal((await reset(app, "2001:db8:bc::9", "someone.13+v6@Other13.Example.test")).status, 200);
    });

    it("IPv4 is unchanged: one address is one source, its neighbour in the /24 is another", async () => {
      for (let i = 0; i < 5; i++) assert.equal((await login(app, "198.51.100.20", "wrong")).status, 400);
      assertLimited(await login(app, "198.51.100.20", PASSWORD));
      assert.equal((await login(app, "198.51.100.21", PASSWORD)).status, 200);
    });
  });
}

describe("per-source limits: RATE_LIMIT_IPV6_PREFIX_FACTOR (sqlite)", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({
      config: {
        trustedProxies: ["10.0.0.0/8"],
        lockout: { threshold: 100 },
        rateLimit: { sourceFailures: 2, sourceWindowSeconds: 60, ipv6PrefixFactor: 3 },
      },
    });
    await app.rampart.api.createUser({ email: ALICE, password: PASSWORD });
  });
  after(() => app.close());

  it("a factor of 3 on 2 failures: the /48 is refused after 6, each /64 still after 2", async () => {
    const statuses: number[] = [];
    for (let n = 1; n <= 6; n++) statuses.push((await login(app, inSite("cc", n), "wrong")).status);
    assert.deepEqual(statuses, Array<number>(6).fill(400));
    assertLimited(await login(app, inSite("cc", 7), PASSWORD));
    for (let i = 0; i < 2; i++) assert.equal((await login(app, "2001:db8:cd:1::1", "wrong")).status, 400);
    assertLimited(await login(app, "2001:db8:cd:1::2", PASSWORD));
    assert.equal((await login(app, "2001:db8:cd:2::1", PASSWORD)).status, 200, "another /64 of that /48");
  });
});

describe("hash queue fairness by /48 (sqlite)", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({
      config: {
        trustedProxies: ["10.0.0.0/8"],
        password: {
          maxConcurrentHashes: 1,
          maxHashQueue: 64,
          maxHashQueuePerKey: 2,
          argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
        },
        rateLimit: { store: "memory", sourceFailures: 1_000_000, sourceAttempts: 1_000_000, sprayFailures: 1_000_000 },
      },
    });
    await app.rampart.api.createUser({ email: ALICE, password: PASSWORD });
  });
  after(() => app.close());

  it("12 simultaneous logins from 12 /64s of one /48 share its queue (some 503); another /48 is not refused", async () => {
    const ready = await Promise.all(
      [...Array(12).keys()].map(async (n) => {
        const c = viaProxy(app, inSite("dd", n + 1));
        return { c, csrf: await c.csrf() };
      }),
    );
    const other = viaProxy(app, "2001:db8:de::1");
    const otherCsrf = await other.csrf();
    const post = (c: TestClient, csrf: string, email: string, password: string) =>
      c.post("/login", { json: { email, password }, headers: { "x-csrf-token": csrf } });
    // Unknown identities (hashed against a dummy all the same), so no account's lockout answers first.
    const [storm, mine] = await Promise.all([
      Promise.all(ready.map(({ c, csrf }, n) => post(c, csrf, `bot.${n}-x+v6@Stuffing.Example.test`, "wrong"))),
      post(other, otherCsrf, ALICE, PASSWORD),
    ]);
    const busy = storm.filter((r) => r.status === 503);
    assert.ok(busy.length >= 1, `statuses ${storm.map((r) => r.status).join(",")}`);
    for (const r of busy) {
      assert.deepEqual(r.json.response.error_codes, ["SERVICE_BUSY"]);
      assert.ok(Number(r.headers.get("retry-after")) >= 1);
    }
    assert.deepEqual([...new Set(storm.map((r) => r.status))].sort(), busy.length === 12 ? [503] : [400, 503]);
    assert.equal(mine.status, 200, mine.body);
  });
});
