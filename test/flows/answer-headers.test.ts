import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRampart } from "../../src/create-rampart.js";
import { ConfigError } from "../../src/core/errors.js";
import { createTestApp, flowDialects, TEST_SECRET, type TestApp } from "../helpers/app.js";
import { assertBaseline } from "../adapters/answer-headers.js";
import { createServer } from "node:http";
import { createRequestListener } from "../../src/adapters/node.js";
import { listening } from "../adapters/scenario.js";

/**
 * Every answer of the standalone app carries the baseline headers — pages, JSON, Rampart's 404 and 405, error
 * answers, a 500 — with HSTS as RAMPART_HSTS says; and a CORS allow-list is checked once, at startup.
 */
const quiet = { info() {}, warn() {}, error() {} };

for (const dialect of flowDialects()) {
  describe(`baseline headers on every answer (${dialect})`, { timeout: 60_000 }, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        hooks: {
          before: {
            login: async ({ user }) => {
              if (user?.email === "hook.breaks@example.test") throw new Error("the app's hook broke");
            },
          },
        },
      });
    });
    after(() => app?.close());

    it("404 and 405, as JSON and as text, and the app's home page", async () => {
      const c = app.client();
      const cases = [
        ["GET", "/no-such-route", true],
        ["GET", "/no-such-route", false],
        ["PUT", "/login", true],
        ["DELETE", "/login", false],
      ] as const;
      for (const [method, path, json] of cases) {
        const r = await c.request(method, path, json ? { acceptJson: true } : {});
        assert.ok(r.status === 404 || r.status === 405, `${method} ${path}: ${r.status}`);
        assertBaseline(r, `${method} ${path}${json ? " (JSON)" : ""}`);
      }
      assertBaseline(await c.get("/"), "the demo app's home page", true);
    });

    it("error answers: CSRF refusal, bad input, an oversized body, and a 500 from a broken hook", async () => {
      const c = app.client();
      const csrf = await c.post("/login", { json: { email: "a@b.test", password: "x" } });
      assert.equal(csrf.status, 400);
      assertBaseline(csrf, "CSRF refusal");
      const token = await c.csrf();
      const bad = await c.post("/login", { json: { email: ["not", "a string"] }, headers: { "x-csrf-token": token } });
      assert.ok(bad.status >= 400 && bad.status < 500, `${bad.status}`);
      assertBaseline(bad, "bad input");
      const big = await c.post("/login", { json: { email: "a".repeat(100_000) }, headers: { "x-csrf-token": token } });
      assert.equal(big.status, 413);
      assertBaseline(big, "413");
      await app.rampart.api.createUser({ email: "hook.breaks@example.test", password: "correct horse battery" });
      const broken = await c.post("/login", {
        json: { email: "hook.breaks@example.test", password: "correct horse battery" },
        headers: { "x-csrf-token": token },
      });
      assert.equal(broken.status, 500);
      assertBaseline(broken, "500");
      const page = await c.post("/login", {
        form: { email: "hook.breaks@example.test", password: "correct horse battery", csrf_token: token },
      });
      assert.equal(page.status, 500);
      assertBaseline(page, "500 page", true);
    });
  });
}

describe("the node listener's last-resort 500", () => {
  it("an app handler that throws is answered 500 with the baseline headers and no details", async () => {
    const app = await createTestApp({ config: { baseUrl: "http://app.test" } });
    const server = await listening(
      createServer(
        createRequestListener(app.rampart, {
          fallback: () => {
            throw new Error("the app broke");
          },
        }),
      ).listen(0, "127.0.0.1"),
    );
    try {
      const r = await fetch(`${server.base}/app-route`);
      assert.equal(r.status, 500);
      assert.equal(await r.text(), "Internal Server Error");
      assert.equal(r.headers.get("x-content-type-options"), "nosniff");
      assert.equal(
        r.headers.get("content-security-policy"),
        "default-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      );
      assert.match(r.headers.get("cache-control") ?? "", /no-store/);
    } finally {
      await server.close();
      await app.close();
    }
  });
});

describe("HSTS follows RAMPART_HSTS", () => {
  const apps: TestApp[] = [];
  after(() => Promise.all(apps.map((a) => a.close())));
  const hstsOf = async (baseUrl: string, hsts: boolean | null) => {
    const app = await createTestApp({ config: { baseUrl, headers: { hsts } } });
    apps.push(app);
    return (await app.client().get("/login", { acceptJson: true })).headers.get("strict-transport-security");
  };

  it("on by default on https, off on plain http, forced on or off by the key", async () => {
    assert.match((await hstsOf("https://app.test", null)) ?? "", /^max-age=31536000; includeSubDomains$/);
    assert.equal(await hstsOf("http://app.test", null), null);
    assert.match((await hstsOf("http://app.test", true)) ?? "", /max-age=31536000/, "TLS ended by a proxy");
    assert.equal(await hstsOf("https://app.test", false), null);
  });
});

describe("CORS allow-list checked at startup", () => {
  const start = (cors: Record<string, unknown>) =>
    createRampart({ config: { secretKey: TEST_SECRET, cors }, logger: quiet });
  const refusedKey = async (cors: Record<string, unknown>) => {
    try {
      await (await start(cors)).close();
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.issues.map((i) => i.key);
    }
    return [];
  };

  it('"*" with credentials is a ConfigError naming CORS_ALLOWED_ORIGINS', async () => {
    assert.deepEqual(await refusedKey({ allowedOrigins: ["*"] }), ["CORS_ALLOWED_ORIGINS (cors.allowedOrigins)"]);
  });

  it("a value that is not an exact origin is refused, each by name", async () => {
    for (const bad of ["null", "https://spa.example/", "https://spa.example/app", "spa.example", "*.example.com"])
      assert.deepEqual(
        await refusedKey({ allowedOrigins: [bad] }),
        ["CORS_ALLOWED_ORIGINS (cors.allowedOrigins)"],
        bad,
      );
  });

  it('"*" without credentials answers every origin with "*" and never with credentials', async () => {
    const rampart = await start({ allowedOrigins: ["*"], allowCredentials: false });
    try {
      const r = await rampart.fetch(
        new Request("https://app.test/login", { headers: { accept: "application/json", origin: "https://x.example" } }),
      );
      assert.equal(r.headers.get("access-control-allow-origin"), "*");
      assert.equal(r.headers.get("access-control-allow-credentials"), null);
    } finally {
      await rampart.close();
    }
  });

  it("without a list no answer carries CORS headers, and OPTIONS is not answered as a preflight", async () => {
    const rampart = await start({});
    try {
      const r = await rampart.fetch(
        new Request("https://app.test/login", { headers: { accept: "application/json", origin: "https://x.example" } }),
      );
      assert.equal(r.headers.get("access-control-allow-origin"), null);
      assert.doesNotMatch(r.headers.get("vary") ?? "", /Origin/);
      const pre = await rampart.fetch(
        new Request("https://app.test/login", {
          method: "OPTIONS",
          headers: { origin: "https://x.example", "access-control-request-method": "POST" },
        }),
      );
      assert.equal(pre.headers.get("access-control-allow-origin"), null);
      assert.equal(rampart.handles("OPTIONS", "/login"), false, "adapters leave OPTIONS to the app");
    } finally {
      await rampart.close();
    }
  });
});
