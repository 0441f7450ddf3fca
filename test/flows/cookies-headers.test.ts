import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../helpers/app.js";
import type { Reply, TestClient } from "../helpers/client.js";
import {
  createTfApp,
  enrolAuthenticator,
  oath,
  PASSWORD,
  toStepStart,
  validate,
  type TfApp,
} from "../../src/features/two-factor/testing/kit.js";

/**
 * Every cookie Rampart sets on an HTTPS deployment is a `__Host-` cookie (Secure, Path=/, no Domain), unless the
 * operator names it (Flask-Security's names for compatibility); without Secure cookies (plain http development)
 * the names carry no prefix. Every answer — Rampart's, the guarded demo routes, the 404 — carries the baseline
 * headers.
 */

/** Cookie name and attributes of a Set-Cookie header. */
function parse(setCookie: string): { name: string; attrs: string[] } {
  const [pair, ...attrs] = setCookie.split(";").map((s) => s.trim());
  return { name: pair!.slice(0, pair!.indexOf("=")), attrs: attrs.map((a) => a.toLowerCase()) };
}

function assertHostCookie(setCookie: string): void {
  const { name, attrs } = parse(setCookie);
  assert.ok(name.startsWith("__Host-"), `${name}: __Host- prefix`);
  assert.ok(attrs.includes("secure"), `${name}: Secure`);
  assert.ok(attrs.includes("path=/"), `${name}: Path=/`);
  assert.ok(!attrs.some((a) => a.startsWith("domain=")), `${name}: no Domain`);
  assert.ok(attrs.includes("httponly"), `${name}: HttpOnly`);
}

/** The Set-Cookie headers of a series of replies, with the names seen. */
function collect(replies: Reply[]): { all: string[]; names: Set<string> } {
  const all = replies.flatMap((r) => r.setCookies);
  return { all, names: new Set(all.map((c) => parse(c).name)) };
}

const csrfIn = (body: string) => /name="csrf_token" value="([^"]+)"/.exec(body)?.[1] ?? "";

/** Sign-in with remember, a flash after a form change of password, sign-out: session, remember, CSRF, flash. */
async function everyDayCookies(app: TestApp, email: string): Promise<Reply[]> {
  await app.rampart.api.createUser({ email, password: PASSWORD });
  const c = app.client();
  const replies: Reply[] = [];
  replies.push(await c.get("/login", { acceptJson: true }));
  replies.push(
    await c.post("/login", {
      json: { email, password: PASSWORD, remember: true },
      headers: { "x-csrf-token": replies[0]!.json.response.csrf_token },
    }),
  );
  const page = await c.get("/change");
  replies.push(page);
  const NEW = "another long passphrase";
  replies.push(
    await c.post("/change", {
      form: { password: PASSWORD, new_password: NEW, new_password_confirm: NEW, csrf_token: csrfIn(page.body) },
    }),
  );
  replies.push(await c.get("/change")); // consumes the flash
  c.jar.delete(app.rampart.config.session.cookieName);
  replies.push(await c.get("/api/protected", { acceptJson: true })); // restore from the remember cookie
  const logoutPage = await c.get("/logout");
  replies.push(await c.post("/logout", { form: { csrf_token: csrfIn(logoutPage.body) } }));
  return replies;
}

/** A two-factor sign-in with remember and ALWAYS_VALIDATE off: pending cookie, then tf_validity. */
async function twoFactorCookies(t: TfApp, email: string): Promise<Reply[]> {
  const secret = await enrolAuthenticator(t, email);
  toStepStart(t);
  const c = t.app.client();
  const first = await c.login(email, PASSWORD, { remember: true });
  assert.equal(first.json.response.tf_state, "ready", first.body);
  const ok = await validate(c, first.json.response.csrf_token, oath(t, secret));
  assert.equal(ok.status, 200, ok.body);
  return [first, ok];
}

describe("cookie names and attributes", () => {
  const apps: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const a of apps) await a.close();
  });
  const tfOptions = { alwaysValidate: false };
  const enabled = { changePassword: { enabled: true } };

  it("HTTPS (the default): every cookie, also flash, remember, two-factor pending and validity, is a __Host- cookie", async () => {
    const app = await createTestApp({ mail: true, config: enabled });
    apps.push(app);
    const t = await createTfApp("sqlite", tfOptions, true);
    apps.push(t.app);
    const { all, names } = collect([
      ...(await everyDayCookies(app, "Host-Prefix.x+1@Sub.Example.test")),
      ...(await twoFactorCookies(t, "tf-user.x+2@Example.test")),
    ]);
    for (const expected of [
      "__Host-rampart_session",
      "__Host-remember_token",
      "__Host-rampart_csrf",
      "__Host-rampart_flash",
      "__Host-rampart_tf",
      "__Host-tf_validity",
    ]) {
      assert.ok(names.has(expected), `${expected} was set (saw ${[...names].join(", ")})`);
    }
    for (const setCookie of all) assertHostCookie(setCookie);
  });

  it("Flask-Security's names stay available by configuration, used as given", async () => {
    const app = await createTestApp({
      mail: true,
      config: { ...enabled, session: { rememberCookieName: "remember_token" } },
    });
    apps.push(app);
    const t = await createTfApp("sqlite", { ...tfOptions, validityCookieName: "tf_validity" }, true);
    apps.push(t.app);
    const { names } = collect(await everyDayCookies(app, "fs.names@example.test"));
    assert.ok(names.has("remember_token") && !names.has("__Host-remember_token"), [...names].join(", "));
    const tf = collect(await twoFactorCookies(t, "fs.tf@example.test")).names;
    assert.ok(tf.has("tf_validity") && !tf.has("__Host-tf_validity"), [...tf].join(", "));
  });

  it("without Secure cookies (plain http development) no name carries the prefix, which browsers would refuse", async () => {
    const app = await createTestApp({ mail: true, config: { ...enabled, session: { cookieSecure: false } } });
    apps.push(app);
    const { all, names } = collect(await everyDayCookies(app, "plain.http@example.test"));
    for (const expected of ["rampart_session", "remember_token", "rampart_csrf", "rampart_flash"])
      assert.ok(names.has(expected), `${expected} (saw ${[...names].join(", ")})`);
    for (const setCookie of all) assert.ok(!parse(setCookie).name.startsWith("__Host-"), setCookie);
  });
});

describe("baseline headers on every answer", () => {
  let app: TestApp;
  let c: TestClient;
  before(async () => {
    app = await createTestApp();
    await app.rampart.api.createUser({ email: "Head.Ers+1@Sub.Example.test", password: PASSWORD });
    c = app.client();
    await c.login("Head.Ers+1@Sub.Example.test", PASSWORD);
  });
  after(() => app.close());

  function assertBaseline(r: Reply, what: string, https = true): void {
    assert.equal(r.headers.get("x-content-type-options"), "nosniff", `${what}: nosniff`);
    assert.ok(r.headers.get("referrer-policy"), `${what}: Referrer-Policy`);
    assert.match(r.headers.get("cache-control") ?? "", /no-store/, `${what}: Cache-Control no-store`);
    if (https) assert.match(r.headers.get("strict-transport-security") ?? "", /max-age=\d+/, `${what}: HSTS`);
    else assert.equal(r.headers.get("strict-transport-security"), null, `${what}: no HSTS on http`);
  }

  it("demo routes (signed in and refused), the home page, HTML and JSON 404, 405", async () => {
    const cases: [string, Reply][] = [
      ["GET /api/protected signed in", await c.get("/api/protected", { acceptJson: true })],
      ["GET /api/admin without the role", await c.get("/api/admin", { acceptJson: true })],
      ["GET /api/protected anonymous", await app.client().get("/api/protected", { acceptJson: true })],
      ["GET /", await c.get("/")],
      ["HTML 404", await c.get("/no/such/page")],
      ["JSON 404", await c.get("/no/such/page", { acceptJson: true })],
      ["GET /logout as JSON (405)", await c.get("/logout", { acceptJson: true })],
      ["PUT /login (405)", await c.request("PUT", "/login", { acceptJson: true })],
      ["GET /login", await app.client().get("/login")],
    ];
    assert.equal(cases[0]![1].status, 200);
    assert.equal(cases[4]![1].status, 404);
    assert.equal(cases[6]![1].status, 405);
    for (const [what, r] of cases) assertBaseline(r, what);
  });

  it("served over plain http: the same headers without HSTS", async () => {
    const plain = await createTestApp({ config: { baseUrl: "http://app.test", session: { cookieSecure: false } } });
    try {
      const client = plain.client();
      for (const [what, r] of [
        ["GET /", await client.get("/")],
        ["HTML 404", await client.get("/nope")],
        ["GET /api/protected anonymous", await client.get("/api/protected", { acceptJson: true })],
      ] as [string, Reply][]) {
        assertBaseline(r, what, false);
      }
    } finally {
      await plain.close();
    }
  });
});
