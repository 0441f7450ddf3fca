import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import { attachRemoteAddress } from "../../src/core/context.js";

/**
 * The client IP (seen here as the login IP TRACKABLE records) comes from a forwarding header only when the
 * socket peer is a configured trusted proxy, and only from the one header configured; the chain is walked from
 * the right past trusted hops. Header parsing is not dialect-specific: SQLite only.
 */
const PASSWORD = "correct horse battery";

async function loginIp(
  app: TestApp,
  email: string,
  peer: string | null,
  headers: Record<string, string> = {},
): Promise<string | null> {
  const c = new TestClient((request) => app.rampart.fetch(peer ? attachRemoteAddress(request, peer) : request));
  const csrf = await c.csrf();
  const r = await c.post("/login", {
    json: { email, password: PASSWORD },
    headers: { ...headers, "x-csrf-token": csrf },
  });
  assert.equal(r.status, 200, r.body);
  return (await app.rampart.api.findUser(email))!.currentLoginIp;
}

describe("client IP behind trusted proxies", () => {
  const apps: TestApp[] = [];
  const make = async (config: Record<string, unknown>) => {
    const app = await createTestApp({ config: { trackable: true, ...config } });
    await app.rampart.api.createUser({ email: "a-b.c+d@Sub.Example.test", password: PASSWORD });
    apps.push(app);
    return app;
  };
  let none: TestApp;
  let xff: TestApp;
  let forwarded: TestApp;
  let realIp: TestApp;
  before(async () => {
    none = await make({});
    xff = await make({ trustedProxies: ["10.0.0.0/8", "2001:db8:ffff::/48", "192.0.2.1"] });
    forwarded = await make({ trustedProxies: ["10.0.0.0/8"], trustedProxyHeader: "forwarded" });
    realIp = await make({ trustedProxies: ["::1", "127.0.0.1"], trustedProxyHeader: "x-real-ip" });
  });
  after(async () => {
    for (const a of apps) await a.close();
  });
  const user = "a-b.c+d@Sub.Example.test";

  it("no trusted proxy (default): every forwarding header is ignored, the socket peer is the client", async () => {
    const headers = { "x-forwarded-for": "6.6.6.6", forwarded: "for=6.6.6.7", "x-real-ip": "6.6.6.8" };
    assert.equal(await loginIp(none, user, "203.0.113.5", headers), "203.0.113.5");
    assert.equal(await loginIp(none, user, "::ffff:203.0.113.6", headers), "203.0.113.6", "IPv4-mapped peer");
  });

  it("a spoofed header from an untrusted peer changes nothing", async () => {
    assert.equal(await loginIp(xff, user, "198.51.100.9", { "x-forwarded-for": "10.0.0.5, 6.6.6.6" }), "198.51.100.9");
  });

  it("X-Forwarded-For: walked from the right past trusted hops (IPv4 and IPv6 proxies), client entries ignored", async () => {
    const chain = "6.6.6.6, 198.51.100.7, 2001:db8:ffff::2, 10.1.1.1";
    assert.equal(await loginIp(xff, user, "10.0.0.1", { "x-forwarded-for": chain }), "198.51.100.7");
    assert.equal(
      await loginIp(xff, user, "2001:db8:ffff::9", { "x-forwarded-for": "2001:DB8:1:2::77" }),
      "2001:db8:1:2::77",
    );
    assert.equal(await loginIp(xff, user, "192.0.2.1", { "x-forwarded-for": "203.0.113.44:5123" }), "203.0.113.44");
    assert.equal(
      await loginIp(xff, user, "192.0.2.2", { "x-forwarded-for": "203.0.113.45" }),
      "192.0.2.2",
      "not in the list",
    );
  });

  it("garbage in the chain stops the walk at the last trusted hop; all-trusted chains give the leftmost", async () => {
    assert.equal(await loginIp(xff, user, "10.0.0.1", { "x-forwarded-for": "6.6.6.6, unknown" }), "10.0.0.1");
    assert.equal(await loginIp(xff, user, "10.0.0.1", { "x-forwarded-for": "10.0.0.3, 10.0.0.2" }), "10.0.0.3");
    assert.equal(await loginIp(xff, user, "10.0.0.1", { "x-forwarded-for": "" }), "10.0.0.1");
  });

  it("Forwarded (RFC 7239) when configured; X-Forwarded-For is then ignored", async () => {
    const headers = {
      forwarded: 'for=6.6.6.6;proto=https, for="[2001:db8:cafe::17]:4711";by=10.0.0.1',
      "x-forwarded-for": "6.6.6.9",
    };
    assert.equal(await loginIp(forwarded, user, "10.0.0.1", headers), "2001:db8:cafe::17");
    assert.equal(await loginIp(forwarded, user, "10.0.0.1", { "x-forwarded-for": "6.6.6.9" }), "10.0.0.1");
  });

  it("X-Real-IP when configured, from a loopback proxy", async () => {
    assert.equal(await loginIp(realIp, user, "::1", { "x-real-ip": "203.0.113.80" }), "203.0.113.80");
    assert.equal(await loginIp(realIp, user, "127.0.0.1", { "x-real-ip": "not-an-ip" }), "127.0.0.1");
  });

  it("a bad TRUSTED_PROXIES entry is a configuration error naming the key", async () => {
    await assert.rejects(
      createTestApp({ config: { trustedProxies: ["10.0.0.0/33"] } }),
      /trustedProxies|TRUSTED_PROXIES/,
    );
  });
});
