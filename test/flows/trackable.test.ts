import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import { attachRemoteAddress } from "../../src/core/context.js";
import type { UserRecord } from "../../src/datastore/contracts.js";

/**
 * TRACKABLE: every sign-in shifts current_* into last_* and counts. The client IP is the socket peer (which
 * adapters attach to the Request) unless trusted proxies are configured; only then is X-Forwarded-For read,
 * and only the entries those proxies appended.
 */
const PASSWORD = "correct horse battery";

/** A client whose requests arrive from `peer` (as the Node adapter reports the socket address), or from nowhere. */
function clientFrom(app: TestApp, peer: string | null): TestClient {
  return new TestClient((request) => app.rampart.fetch(peer ? attachRemoteAddress(request, peer) : request));
}

async function login(app: TestApp, email: string, peer: string | null, forwardedFor?: string): Promise<void> {
  const c = clientFrom(app, peer);
  const csrf = await c.csrf();
  const headers: Record<string, string> = { "x-csrf-token": csrf };
  if (forwardedFor) headers["x-forwarded-for"] = forwardedFor;
  const r = await c.post("/login", { json: { email, password: PASSWORD }, headers });
  assert.equal(r.status, 200, r.body);
}

async function user(app: TestApp, email: string): Promise<UserRecord> {
  return (await app.rampart.api.findUser(email))!;
}

/** Stored times may lose sub-second precision (MariaDB DATETIME): compare to the second. */
function sameSecond(actual: Date | null, expected: Date): void {
  assert.ok(actual instanceof Date, "a time was recorded");
  assert.ok(
    Math.abs(actual.getTime() - expected.getTime()) < 1500,
    `${actual.toISOString()} ≈ ${expected.toISOString()}`,
  );
}

for (const dialect of flowDialects()) {
  describe(`trackable (${dialect})`, () => {
    const apps: TestApp[] = [];
    let direct: TestApp;
    let proxied: TestApp;
    before(async () => {
      // Ten sign-ins of one account at once, past the lockout's threshold of 5: they wait their turn, none refused.
      direct = await createTestApp({ dialect, config: { trackable: true } });
      proxied = await createTestApp({ dialect, config: { trackable: true, trustedProxies: ["10.0.0.0/8"] } });
      apps.push(direct, proxied);
      for (const app of apps) {
        for (const email of ["alice@x.test", "bob@x.test", "carol@x.test"])
          await app.rampart.api.createUser({ email, password: PASSWORD });
      }
    });
    after(async () => {
      for (const a of apps) await a.close();
    });

    it("two logins: count 2, current → last for time and IP; a forged X-Forwarded-For is ignored without trusted proxies", async () => {
      const fresh = await user(direct, "alice@x.test");
      assert.equal(fresh.loginCount ?? 0, 0);
      assert.equal(fresh.currentLoginAt, null);

      const t1 = direct.runtime.now();
      await login(direct, "alice@x.test", "203.0.113.10", "6.6.6.6");
      const first = await user(direct, "alice@x.test");
      assert.equal(first.loginCount, 1);
      assert.equal(first.currentLoginIp, "203.0.113.10");
      sameSecond(first.currentLoginAt, t1);
      assert.equal(first.lastLoginIp, "203.0.113.10", "FS: the first login fills last_* with the current values");
      sameSecond(first.lastLoginAt, t1);

      direct.advance(3600);
      const t2 = direct.runtime.now();
      await login(direct, "alice@x.test", "2001:db8::7", "6.6.6.6, 7.7.7.7");
      const second = await user(direct, "alice@x.test");
      assert.equal(second.loginCount, 2);
      assert.equal(second.currentLoginIp, "2001:db8::7");
      assert.equal(second.lastLoginIp, "203.0.113.10");
      sameSecond(second.currentLoginAt, t2);
      sameSecond(second.lastLoginAt, t1);
      assert.ok(second.currentLoginAt!.getTime() - second.lastLoginAt!.getTime() > 3500 * 1000);
    });

    it("failed logins are not counted; without a socket address (in-process) and no trusted proxy the IP is null", async () => {
      const c = clientFrom(direct, "203.0.113.20");
      const csrf = await c.csrf();
      const wrong = await c.post("/login", {
        json: { email: "bob@x.test", password: "wrong password" },
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(wrong.status, 400);
      assert.equal((await user(direct, "bob@x.test")).loginCount ?? 0, 0);

      await login(direct, "bob@x.test", null, "6.6.6.6");
      const bob = await user(direct, "bob@x.test");
      assert.equal(bob.loginCount, 1);
      assert.equal(bob.currentLoginIp, null, "the forged header did not become the IP");
    });

    it("with one trusted proxy the address that proxy appended is used; entries the client wrote are not", async () => {
      await login(proxied, "alice@x.test", "10.0.0.1", "6.6.6.6, 198.51.100.7");
      const first = await user(proxied, "alice@x.test");
      assert.equal(first.currentLoginIp, "198.51.100.7");
      proxied.advance(60);
      await login(proxied, "alice@x.test", "10.0.0.1", "198.51.100.8");
      const second = await user(proxied, "alice@x.test");
      assert.equal(second.loginCount, 2);
      assert.equal(second.currentLoginIp, "198.51.100.8");
      assert.equal(second.lastLoginIp, "198.51.100.7");
      await login(proxied, "carol@x.test", "10.0.0.1");
      assert.equal((await user(proxied, "carol@x.test")).currentLoginIp, "10.0.0.1", "no header: the socket peer");
    });

    it("concurrent logins never lose a count", async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => login(direct, "carol@x.test", `203.0.113.${100 + i}`)));
      const carol = await user(direct, "carol@x.test");
      assert.equal(carol.loginCount, 10);
      assert.match(carol.currentLoginIp!, /^203\.0\.113\.1\d\d$/);
    });
  });
}

describe("trackable off (default)", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  });
  after(() => app.close());

  it("records nothing", async () => {
    await login(app, "alice@x.test", "203.0.113.10");
    const alice = await user(app, "alice@x.test");
    assert.equal(alice.loginCount ?? 0, 0);
    assert.equal(alice.currentLoginAt, null);
    assert.equal(alice.currentLoginIp, null);
  });
});
