import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TestClient, type Reply } from "../helpers/client.js";

/**
 * Part of every adapter's scenario (same app and server): the baseline headers on Rampart's answers and on the
 * app's guarded answers, and CORS by the exact allow-list the scenario configures (SPA_ORIGIN).
 */
export const SPA_ORIGIN = "https://spa.example-app.test";

export function assertBaseline(r: Reply, what: string, html = false): void {
  const h = r.headers;
  assert.equal(h.get("x-content-type-options"), "nosniff", `${what}: nosniff`);
  assert.equal(h.get("referrer-policy"), "strict-origin-when-cross-origin", `${what}: Referrer-Policy`);
  assert.match(h.get("strict-transport-security") ?? "", /max-age=31536000; includeSubDomains/, `${what}: HSTS`);
  assert.match(h.get("cache-control") ?? "", /no-store/, `${what}: no-store`);
  assert.equal(h.get("x-powered-by"), null, `${what}: no X-Powered-By`);
  const csp = h.get("content-security-policy") ?? "";
  for (const rule of ["base-uri 'none'", "frame-ancestors 'none'"]) assert.ok(csp.includes(rule), `${what}: ${rule}`);
  assert.ok(csp.includes("object-src 'none'") || csp.includes("default-src 'none'"), `${what}: no plugins`);
  if (html) {
    assert.equal(h.get("x-frame-options"), "DENY", `${what}: X-Frame-Options`);
    assert.equal(h.get("cross-origin-opener-policy"), "same-origin", `${what}: COOP`);
  }
}

export function answerHeadersScenario(base: () => string, credentials: { email: string; password: string }): void {
  describe("answer headers and CORS", () => {
    const signedIn = async () => {
      const c = new TestClient(fetch, base());
      const r = await c.login(credentials.email, credentials.password);
      assert.equal(r.status, 200, r.body);
      return { c, csrf: r.json.response.csrf_token as string };
    };

    it("Rampart's page, its JSON, a refusal and the app's guarded answers all carry the baseline headers", async () => {
      const c = new TestClient(fetch, base());
      assertBaseline(await c.get("/login"), "login page", true);
      assertBaseline(await c.get("/login", { acceptJson: true }), "login JSON");
      assertBaseline(await c.get("/api/protected", { acceptJson: true }), "guard refusal 401");
      const { c: user } = await signedIn();
      const mine = await user.get("/api/protected", { acceptJson: true });
      assert.equal(mine.status, 200, mine.body);
      assertBaseline(mine, "the app's guarded answer", true);
      assert.match(mine.headers.get("content-type") ?? "", /application\/json/, "the app's own content type stays");
    });

    it("an allowed origin is echoed exactly with credentials and Vary: Origin; null and unlisted ones get no grant", async () => {
      const { c } = await signedIn();
      const at = (origin: string) => c.get("/api/me", { acceptJson: true, headers: { origin } });
      const allowed = await at(SPA_ORIGIN);
      assert.equal(allowed.status, 200, allowed.body);
      assert.equal(allowed.headers.get("access-control-allow-origin"), SPA_ORIGIN);
      assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");
      assert.match(allowed.headers.get("vary") ?? "", /Origin/);
      for (const origin of [
        "https://evil.example",
        "null",
        `${SPA_ORIGIN}.evil.example`,
        "https://SPA.example-app.test",
      ]) {
        const r = await at(origin);
        assert.equal(r.headers.get("access-control-allow-origin"), null, origin);
        assert.equal(r.headers.get("access-control-allow-credentials"), null, origin);
        assert.match(r.headers.get("vary") ?? "", /Origin/, origin);
      }
      const json = await new TestClient(fetch, base()).get("/login", {
        acceptJson: true,
        headers: { origin: SPA_ORIGIN },
      });
      assert.equal(json.headers.get("access-control-allow-origin"), SPA_ORIGIN, "Rampart's own routes too");
    });

    it("a preflight to Rampart's routes is answered for the allowed origin only", async () => {
      const preflight = (origin: string) =>
        fetch(new URL("/login", base()), {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, x-csrf-token",
          },
        });
      const ok = await preflight(SPA_ORIGIN);
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get("access-control-allow-origin"), SPA_ORIGIN);
      assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
      assert.match(ok.headers.get("access-control-allow-methods") ?? "", /POST/);
      const allowHeaders = ok.headers.get("access-control-allow-headers") ?? "";
      for (const name of ["content-type", "x-csrf-token"]) assert.ok(allowHeaders.includes(name), name);
      const evil = await preflight("https://evil.example");
      assert.equal(evil.headers.get("access-control-allow-origin"), null);
      assert.equal(evil.headers.get("access-control-allow-methods"), null);
    });

    it("the SPA on the allowed origin signs in cross-site with its CSRF token; an unlisted origin is refused", async () => {
      for (const [origin, expected] of [
        [SPA_ORIGIN, 200],
        ["https://evil.example", 403],
      ] as const) {
        const c = new TestClient(fetch, base());
        const csrf = await c.csrf();
        const r = await c.post("/login", {
          json: credentials,
          headers: { origin, "sec-fetch-site": "cross-site", "x-csrf-token": csrf },
        });
        assert.equal(r.status, expected, `${origin}: ${r.body}`);
      }
    });
  });
}
