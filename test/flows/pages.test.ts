import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../helpers/app.js";

const PASSWORD = "correct horse battery";

describe("HTML pages", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  });
  after(() => app.close());

  const csrfFrom = (html: string) => html.match(/name="csrf_token" value="([^"]+)"/)![1]!;

  it("the login page is a form with a CSRF field and hardened headers", async () => {
    const r = await app.client().get("/login");
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type")!, /text\/html; charset=utf-8/);
    assert.match(r.headers.get("content-security-policy")!, /frame-ancestors 'none'/);
    assert.match(r.headers.get("content-security-policy")!, /object-src 'none'/);
    assert.equal(r.headers.get("x-frame-options"), "DENY");
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    assert.match(r.body, /<form method="post" action="\/login"/);
    assert.ok(csrfFrom(r.body).length > 20);
  });

  it("form login → redirect to next → sessions page → revoke → signed out", async () => {
    const c = app.client();
    const page = await c.get("/login?next=%2Fsessions");
    const login = await c.post("/login?next=%2Fsessions", {
      form: { email: "alice@x.test", password: PASSWORD, csrf_token: csrfFrom(page.body) },
    });
    assert.equal(login.status, 302);
    assert.equal(login.location, "/sessions");
    const sessions = await c.get("/sessions");
    assert.equal(sessions.status, 200);
    assert.match(sessions.body, /This device/);
    const id = sessions.body.match(/name="id" value="([^"]+)"/)![1]!;
    const revoke = await c.post("/sessions/revoke", { form: { id, csrf_token: csrfFrom(sessions.body) } });
    assert.equal(revoke.status, 302);
    assert.equal(revoke.location, "/login");
    assert.equal((await c.get("/sessions")).status, 302);
  });

  it("a failed form login re-renders the form with the error and the typed identity, escaped", async () => {
    const c = app.client();
    const page = await c.get("/login");
    const evil = `"><script>alert(1)</script>@x.test`;
    const r = await c.post("/login", { form: { email: evil, password: "nope", csrf_token: csrfFrom(page.body) } });
    assert.equal(r.status, 200);
    assert.ok(!r.body.includes("<script>alert(1)</script>"));
    assert.match(r.body, /&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;@x\.test/);
    assert.match(r.body, /Authentication failed/);
  });

  it("the verify page re-authenticates and follows next", async () => {
    const c = app.client();
    const page = await c.get("/login");
    await c.post("/login", { form: { email: "alice@x.test", password: PASSWORD, csrf_token: csrfFrom(page.body) } });
    const verify = await c.get("/verify?next=%2Fsessions");
    assert.equal(verify.status, 200);
    assert.match(verify.body, /Confirm it/);
    const r = await c.post("/verify?next=%2Fsessions", {
      form: { password: PASSWORD, csrf_token: csrfFrom(verify.body) },
    });
    assert.equal(r.status, 302);
    assert.equal(r.location, "/sessions");
  });

  it("GET /logout shows a confirm form instead of logging out", async () => {
    const c = app.client();
    const page = await c.get("/login");
    await c.post("/login", { form: { email: "alice@x.test", password: PASSWORD, csrf_token: csrfFrom(page.body) } });
    const confirm = await c.get("/logout");
    assert.equal(confirm.status, 200);
    assert.match(confirm.body, /Confirm sign out/);
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200, "still signed in");
    const out = await c.post("/logout", { form: { csrf_token: csrfFrom(confirm.body) } });
    assert.equal(out.status, 302);
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);
  });
});
