import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTfApp, oath, PASSWORD, toStepStart, type TfApp } from "./testing/kit.js";

/** The browser flow: form posts, redirects, the setup page with its QR image, the code form. */
describe("two-factor HTML pages (sqlite)", () => {
  let t: TfApp;
  before(async () => {
    t = await createTfApp("sqlite", { required: true });
    await t.app.rampart.api.createUser({ email: "web@x.test", password: PASSWORD });
  });
  after(() => t.app.close());

  it("form login → /tf-setup page → authenticator with QR image → code form → signed in; then login → /tf-validate page", async () => {
    const c = t.app.client();
    const csrf = await c.csrf();
    const login = await c.post("/login", { form: { email: "web@x.test", password: PASSWORD, csrf_token: csrf } });
    assert.equal(login.status, 302, login.body);
    assert.match(login.location ?? "", /\/tf-setup$/);
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 401);

    const page = await c.get("/tf-setup");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(page.body, /name="setup" value="authenticator"/);
    const pageCsrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1]!;

    const wrongMethod = await c.post("/tf-setup", { form: { setup: "pigeon", csrf_token: pageCsrf } });
    assert.equal(wrongMethod.status, 200);
    assert.match(wrongMethod.body, /Marked method is not valid/);

    const setup = await c.post("/tf-setup", { form: { setup: "authenticator", csrf_token: pageCsrf } });
    assert.equal(setup.status, 200, setup.body);
    assert.match(setup.body, /<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    assert.match(setup.headers.get("content-security-policy") ?? "", /img-src[^;]*data:/);
    assert.match(setup.headers.get("cache-control") ?? "", /no-store/);
    const key = /<code>([A-Z2-7]+)<\/code>/.exec(setup.body)![1]!;
    const codeCsrf = /id="tf-code-form"[\s\S]*?name="csrf_token" value="([^"]+)"/.exec(setup.body)![1]!;

    const wrong = await c.post("/tf-validate", { form: { code: "12345x", csrf_token: codeCsrf } });
    assert.equal(wrong.status, 200);
    assert.match(wrong.body, /Invalid code/);
    const ok = await c.post("/tf-validate", { form: { code: oath(t, key), csrf_token: codeCsrf } });
    assert.equal(ok.status, 302, ok.body);
    assert.equal((await c.get("/api/protected", { acceptJson: true })).status, 200);

    toStepStart(t);
    const c2 = t.app.client();
    const again = await c2.post("/login", {
      form: { email: "web@x.test", password: PASSWORD, csrf_token: await c2.csrf() },
    });
    assert.equal(again.status, 302);
    assert.match(again.location ?? "", /\/tf-validate$/);
    const form = await c2.get("/tf-validate");
    assert.equal(form.status, 200);
    assert.match(form.body, /name="code"/);
    assert.match(form.body, /autocomplete="one-time-code"/);
    const formCsrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)![1]!;
    const done = await c2.post("/tf-validate", { form: { code: oath(t, key), csrf_token: formCsrf } });
    assert.equal(done.status, 302);
    assert.equal((await c2.get("/api/protected", { acceptJson: true })).status, 200);
  });
});
