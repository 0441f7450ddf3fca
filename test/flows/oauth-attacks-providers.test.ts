import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { APP, startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { atCallback, link, signedInAs } from "../helpers/oauth-flows.js";
import { PASSWORD, backFrom, expectRefused, startAt } from "../helpers/oauth-attack-kit.js";

/**
 * The attacker's tests of social sign-in, part three: around the protocol. A provider down or slower than
 * RAMPART_OAUTH_TIMEOUT_MS (discovery, token endpoint, GitHub's API), a provider's refusal and errors carrying
 * markup (on the page and in an SPA's error view), a forged Host, and `next` as an open redirect. SQLite.
 */
describe("social sign-in attacks: a provider down, slow, or refusing; a forged Host; next", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({ config: { returnGenericResponses: false, oauth: { timeoutMs: 1000 } } });
    await w.app.rampart.api.createUser({ email: "patient@example.com", password: PASSWORD, confirmed: true });
    await link(w, "patient@example.com", "okta", "okta-patient");
    await link(w, "patient@example.com", "github", "9090");
    w.idp.setAccount({ sub: "okta-patient", email: "patient@example.com", email_verified: true });
    w.github.setUser({
      id: 9090,
      login: "patient",
      emails: [{ email: "patient@example.com", primary: true, verified: true }],
    });
  });
  after(async () => w?.close());
  const unavailable = (label: string) => ({
    text: `${label} did not answer. Please try again in a moment.`,
    reason: "unavailable:unavailable",
  });

  // First in this world: nobody has started with google, so its discovery has not been fetched yet.
  it("google's discovery down: the start goes back to the sign-in page with a clear message (API: 503); then it recovers", async () => {
    // Slow beyond RAMPART_OAUTH_TIMEOUT_MS (1 s here): answered promptly, nothing started.
    w.google.setFault({ kind: "slow", ms: 20_000 }, ["discovery"]);
    try {
      const c = w.app.client();
      const began = Date.now();
      const slow = await c.post("/login/oauthstart/google", { form: { csrf_token: await c.csrf() } });
      assert.ok(Date.now() - began < 8000, `answered after ${Date.now() - began} ms`);
      assert.equal(slow.location, "/login", slow.body);
      assert.ok(![...c.jar.keys()].some((k) => k.includes("rampart_oauth")), "no flow started");
    } finally {
      w.google.setFault(null);
    }
    w.google.setFault({ kind: "down" }, ["discovery"]);
    try {
      const c = w.app.client();
      const csrf = await c.csrf();
      const form = await c.post("/login/oauthstart/google", { form: { csrf_token: csrf } });
      assert.equal(form.status, 302, form.body);
      assert.equal(form.location, "/login");
      assert.ok((await c.get("/login")).body.includes("Google did not answer. Please try again in a moment."));
      assert.ok(![...c.jar.keys()].some((k) => k.includes("rampart_oauth")), "no flow started");
      const api = await c.post("/login/oauthstart/google", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(api.status, 503, api.body);
    } finally {
      w.google.setFault(null);
    }
    const c = w.app.client();
    const authorize = await startAt(c, "google");
    assert.equal(authorize.origin, new URL(w.google.issuer).origin, "a failed discovery is not kept");
  });

  it("the token endpoint down (okta, github): a clear message, no session", async () => {
    for (const [name, label, setFault] of [
      ["okta", "Okta", (f: null | { kind: "down" }) => w.idp.setFault(f)],
      ["github", "GitHub", (f: null | { kind: "down" }) => w.github.setFault(f)],
    ] as const) {
      const c = w.app.client();
      const path = await atCallback(c, name);
      setFault({ kind: "down" });
      try {
        await expectRefused(w, c, () => c.get(path), unavailable(label));
      } finally {
        setFault(null);
      }
    }
  });

  it("a token endpoint slower than RAMPART_OAUTH_TIMEOUT_MS: refused promptly with a clear message, no session", async () => {
    for (const [name, label, setFault] of [
      ["okta", "Okta", (f: null | { kind: "slow"; ms: number }) => w.idp.setFault(f)],
      ["github", "GitHub", (f: null | { kind: "slow"; ms: number }) => w.github.setFault(f)],
    ] as const) {
      const c = w.app.client();
      const path = await atCallback(c, name);
      setFault({ kind: "slow", ms: 20_000 });
      try {
        const began = Date.now();
        await expectRefused(w, c, () => c.get(path), unavailable(label));
        // Generous: the bound is 1 s; a loaded machine must not make this flaky.
        assert.ok(Date.now() - began < 8000, `answered after ${Date.now() - began} ms`);
      } finally {
        setFault(null);
      }
    }
    // GitHub's API (/user) slow after a good token exchange: the same.
    const g = w.app.client();
    const path = await atCallback(g, "github");
    w.github.setFault({ kind: "slow", ms: 20_000 }, ["api"]);
    try {
      const began = Date.now();
      await expectRefused(w, g, () => g.get(path), unavailable("GitHub"));
      assert.ok(Date.now() - began < 8000, `answered after ${Date.now() - began} ms`);
    } finally {
      w.github.setFault(null);
    }
    // The provider answers again: the sign-in works.
    const ok = w.app.client();
    assert.equal((await w.signInWith(ok, "okta")).callback.location, "/");
  });

  it("GitHub's token error (sent with status 200, as GitHub does) is shown by its own code and description", async () => {
    const c = w.app.client();
    const path = await atCallback(c, "github");
    w.github.setFault({
      kind: "error",
      error: "bad_verification_code",
      description: "The code passed is incorrect or expired.",
    });
    try {
      await expectRefused(w, c, () => c.get(path), {
        text: "(bad_verification_code - The code passed is incorrect or expired.)",
        reason: "handshake:bad_verification_code",
      });
    } finally {
      w.github.setFault(null);
    }
  });

  it("access_denied at the provider: OAUTH_ACCESS_DENIED, no session", async () => {
    w.idp.setFault({ kind: "error", error: "access_denied", description: "The user said no" }, ["authorize"]);
    try {
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      await expectRefused(w, c, () => c.get(path), {
        text: "Sign-in with Okta was cancelled.",
        reason: "denied:access_denied",
      });
    } finally {
      w.idp.setFault(null);
    }
  });

  it("an error_description with quotes, CRLF and <script>: escaped on the page, no header injected", async () => {
    const nasty = `He said "no" & left\r\nSet-Cookie: owned=1\r\n<script>alert(1)</script>`;
    w.idp.setFault({ kind: "error", error: "invalid_scope", description: nasty }, ["authorize"]);
    try {
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      const r = await expectRefused(w, c, () => c.get(path), {
        text: "An error occurred while communicating with the OAuth provider: (invalid_scope",
        reason: "handshake:invalid_scope",
      });
      assert.ok(!r.setCookies.some((x) => x.startsWith("owned=")), "no injected cookie");
      assert.ok(!c.jar.has("owned"));
      // The flash was read by expectRefused: make it again and look at the raw page.
      const d = w.app.client();
      w.idp.setFault({ kind: "error", error: "invalid_scope", description: nasty }, ["authorize"]);
      await d.get(await atCallback(d, "okta"));
      const page = await d.get("/login");
      assert.doesNotMatch(page.body, /<script>alert\(1\)<\/script>/);
      assert.ok(page.body.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), "the description shown, escaped");
    } finally {
      w.idp.setFault(null);
    }
  });

  it("a forged Host / X-Forwarded-Host at the start: the redirect_uri is still the app's own", async () => {
    const c = w.app.client();
    const csrf = await c.csrf();
    const start = await c.post("/login/oauthstart/okta", {
      form: { csrf_token: csrf },
      headers: { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "http" },
    });
    assert.equal(start.status, 302, start.body);
    const authorize = new URL(start.location!);
    assert.equal(authorize.searchParams.get("redirect_uri"), `${APP}/login/oauthresponse/okta`);
    const back = await c.get(await backFrom(authorize));
    assert.equal(back.location, "/");
  });

  it("next as an open redirect (query or form): the sign-in always ends on the app's origin", async () => {
    const evil = [
      "//evil.com",
      "/\\evil.com",
      "\\\\evil.com",
      "https://evil.com",
      "https:evil.com",
      "http://app.test@evil.com",
      "javascript:alert(1)",
      " //evil.com",
      "/\t/evil.com",
      "/%2F%2Fevil.com",
    ];
    for (const next of evil) {
      for (const where of ["query", "form"] as const) {
        const c = w.app.client();
        const csrf = await c.csrf();
        const query = where === "query" ? `?next=${encodeURIComponent(next)}` : "";
        const form: Record<string, string> = where === "form" ? { csrf_token: csrf, next } : { csrf_token: csrf };
        const start = await c.post(`/login/oauthstart/okta${query}`, { form });
        assert.equal(start.status, 302, start.body);
        const done = await c.get(await backFrom(new URL(start.location!)));
        assert.equal(done.status, 302, done.body);
        const to = new URL(done.location!, APP);
        assert.equal(to.origin, APP, `${where} next=${JSON.stringify(next)} → ${done.location}`);
        assert.equal(await signedInAs(c), "patient@example.com");
      }
    }
  });
});

describe("social sign-in attacks: an SPA's error view gets the provider's description encoded", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({
      config: {
        returnGenericResponses: false,
        urls: { redirectBehavior: "spa" },
        unifiedSignin: { loginErrorView: "https://spa.example/login-error" },
      },
    });
  });
  after(async () => w?.close());

  it("quotes, CRLF and <script> in error_description: a valid Location, the text encoded in its query", async () => {
    const nasty = `He said "no" & left\r\nSet-Cookie: owned=1\r\n<script>alert(1)</script>`;
    w.idp.setFault({ kind: "error", error: "invalid_scope", description: nasty }, ["authorize"]);
    try {
      const c = w.app.client();
      const { callback } = await w.signInWith(c, "okta");
      assert.equal(callback.status, 302, callback.body);
      const raw = callback.location!;
      assert.doesNotMatch(raw, /[\r\n<>"\s]/, "nothing raw in the Location");
      const to = new URL(raw);
      assert.equal(to.origin + to.pathname, "https://spa.example/login-error");
      const error = to.searchParams.get("error")!;
      assert.ok(
        error.startsWith("An error occurred while communicating with the OAuth provider: (invalid_scope"),
        error,
      );
      assert.ok(error.includes("<script>alert(1)</script>"), "the SPA gets the text, to show as text");
      assert.doesNotMatch(error, /[\r\n]/, "control characters dropped");
      assert.equal(await signedInAs(c), null);
    } finally {
      w.idp.setFault(null);
    }
  });
});
