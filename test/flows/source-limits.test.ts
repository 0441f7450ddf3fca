import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { TestClient, type Reply } from "../helpers/client.js";
import { attachRemoteAddress } from "../../src/core/context.js";

/**
 * Per-source limits on credential checks (RATE_LIMIT_SOURCE_*): failures per client IP (IPv6 by /64) within a
 * window, then 429 + Retry-After before anything is evaluated, whoever the account; another source is not
 * affected. Forwarding headers from an untrusted peer change nothing. Counters live in the database (default
 * store): every dialect.
 */
const PASSWORD = "correct horse battery";
const ALICE = "Alice.O-Neil+auth@Mail.Example.test";

/** A client whose requests arrive from the socket address `peer`, as an adapter reports it. */
function from(app: TestApp, peer: () => string): TestClient {
  return new TestClient((request) => app.rampart.fetch(attachRemoteAddress(request, peer())));
}

const randomIp = () => `${randomInt(1, 223)}.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

async function tryLogin(c: TestClient, csrf: string, email: string, password: string, headers = {}): Promise<Reply> {
  return c.post("/login", { json: { email, password }, headers: { ...headers, "x-csrf-token": csrf } });
}

function assertLimited(r: Reply, windowSeconds: number): void {
  assert.equal(r.status, 429, r.body);
  const after = Number(r.headers.get("retry-after"));
  assert.ok(after >= 1 && after <= windowSeconds, `Retry-After ${after}`);
  assert.deepEqual(r.json.response.error_codes, ["TOO_MANY_REQUESTS"]);
  assert.equal(r.json.meta.code, 429);
}

for (const dialect of flowDialects()) {
  describe(`per-source limits on credential checks (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ dialect });
      await app.rampart.api.createUser({ email: ALICE, password: PASSWORD });
      for (let i = 0; i < 5; i++)
        await app.rampart.api.createUser({ email: `user.${i}-x+tag@Sub${i}.Example.test`, password: PASSWORD });
    });
    after(() => app.close());

    it("one IP, 300 distinct emails × 1 wrong password with random X-Forwarded-For, Forwarded and X-Real-IP: 429 after 30 (default); a second IP signs in", async () => {
      const attacker = from(app, () => "198.51.100.66");
      const csrf = await attacker.csrf();
      const statuses: number[] = [];
      let firstLimited: Reply | null = null;
      for (let i = 0; i < 300; i++) {
        // Some exist (user.0 … user.4), most do not: the answers must not differ.
        const email = i < 5 ? `USER.${i}-x+tag@sub${i}.example.test` : `victim-${i}.x+${i}@Corp${i % 7}.Example.test`;
        const spoofed = {
          "x-forwarded-for": randomIp(),
          forwarded: `for=${randomIp()}`,
          "x-real-ip": randomIp(),
        };
        const r = await tryLogin(attacker, csrf, email, `wrong-${i}`, spoofed);
        statuses.push(r.status);
        if (r.status === 429) firstLimited ??= r;
      }
      assert.deepEqual(statuses.slice(0, 30), Array<number>(30).fill(400), "30 failures are answered normally");
      assert.deepEqual(statuses.slice(30), Array<number>(270).fill(429), "then the source is refused");
      assertLimited(firstLimited!, 900);
      // The right password from the limited source is not evaluated either.
      assertLimited(await tryLogin(attacker, csrf, ALICE, PASSWORD), 900);

      const real = from(app, () => "203.0.113.7");
      const ok = await tryLogin(real, await real.csrf(), ALICE, PASSWORD);
      assert.equal(ok.status, 200, ok.body);
    });

    it("an HTML form from the limited source gets a 429 page, not the login form", async () => {
      const attacker = from(app, () => "198.51.100.66");
      const csrf = await attacker.csrf();
      const r = await attacker.post("/login", { form: { email: ALICE, password: PASSWORD, csrf_token: csrf } });
      assert.equal(r.status, 429);
      assert.ok(Number(r.headers.get("retry-after")) >= 1);
      assert.match(r.headers.get("content-type") ?? "", /text\/html/);
      assert.match(r.body, /Too many requests/);
    });
  });

  describe(`per-source limits: IPv6 counts by /64, HTTP basic counts too (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      // These guesses target one account: its own lockout (from the 5th failure) stays out of the source counts.
      app = await createTestApp({
        dialect,
        config: { rateLimit: { sourceFailures: 5, sourceWindowSeconds: 60 }, lockout: { threshold: 100 } },
      });
      await app.rampart.api.createUser({ email: ALICE, password: PASSWORD });
    });
    after(() => app.close());

    it("addresses rotating inside one /64 share a budget; the next /64 does not", async () => {
      const rotating = from(
        app,
        () => `2001:db8:1:2:${randomInt(65536).toString(16)}::${randomInt(1, 65536).toString(16)}`,
      );
      const csrf = await rotating.csrf();
      const statuses = [];
      for (let i = 0; i < 8; i++) statuses.push((await tryLogin(rotating, csrf, ALICE, "wrong")).status);
      assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429, 429, 429]);
      const neighbour = from(app, () => "2001:db8:1:3::1");
      assert.equal((await tryLogin(neighbour, await neighbour.csrf(), ALICE, PASSWORD)).status, 200);
    });

    it("HTTP basic failures count against the source; past the limit the guard answers 429", async () => {
      const call = (peer: string, password: string) =>
        app.rampart.guards.check(
          attachRemoteAddress(
            new Request("https://app.test/api/basic", {
              headers: {
                authorization: "Basic " + Buffer.from(`${ALICE}:${password}`).toString("base64"),
                accept: "application/json",
              },
            }),
            peer,
          ),
          app.rampart.guards.authRequired("basic"),
        );
      for (let i = 0; i < 5; i++) {
        const refused = await call("192.0.2.50", "wrong");
        assert.ok(!refused.ok && refused.response.status === 401);
      }
      const limited = await call("192.0.2.50", PASSWORD);
      assert.ok(!limited.ok);
      assert.equal(limited.response.status, 429);
      assert.ok(Number(limited.response.headers.get("retry-after")) >= 1);
      assert.equal((await call("192.0.2.51", PASSWORD)).ok, true);
    });
  });
}
