import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { Reply, TestClient } from "../../../test/helpers/client.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { createWanApp, formById, optionsOnPage, PASSWORD } from "./testing/register-kit.js";

/**
 * The passkeys page as a form user sees it: the list, the add form, the ceremony page the browser script runs
 * (its options, its action `<url>/<state>`), the redirect with a flash after a passkey was added, and errors
 * shown on the page — all without JSON.
 */
const ORIGIN = "https://app.test";

function isHtml(r: Reply): void {
  assert.equal(r.status, 200, r.body);
  assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
}

/** A browser-like client signed in through the login form. */
async function browserSignedIn(app: TestApp, email: string): Promise<TestClient> {
  await app.rampart.api.createUser({ email, password: PASSWORD });
  const c = app.client();
  const page = await c.get("/login");
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1]!;
  const r = await c.post("/login", { form: { csrf_token: csrf, email, password: PASSWORD } });
  assert.equal(r.status, 302, r.body);
  return c;
}

for (const dialect of flowDialects()) {
  describe(`passkey registration pages (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect, { postRegisterView: null });
    });
    after(() => app.close());

    it("add a passkey with form posts: name → ceremony page → credential → back to the list with a flash", async () => {
      const c = await browserSignedIn(app, "Page.Owner+tag@Sub.Example.test");
      const empty = await c.get("/wan-register");
      isHtml(empty);
      assert.match(empty.body, /You have no passkeys yet/);
      const add = formById(empty.body, "wan-register-form");
      assert.match(add.html, /<select id="usage" name="usage">/);

      const ceremony = await c.post(add.action, { form: { csrf_token: add.csrf, name: "Work <laptop>" } });
      isHtml(ceremony);
      assert.match(ceremony.body, /Value entered is not valid for the field/);
      assert.doesNotMatch(ceremony.body, /<laptop>/);

      const started = await c.post(add.action, { form: { csrf_token: add.csrf, name: "Work laptop", usage: "first" } });
      isHtml(started);
      const form = formById(started.body, "wan-register-response-form");
      assert.match(form.action, /^https:\/\/app\.test\/wan-register\/[^/]+$|^\/wan-register\/[^/]+$/);
      assert.match(started.body, /data-wan-ceremony="register"/);
      assert.match(started.body, /<script nonce="[^"]+">/);
      const csp = started.headers.get("content-security-policy") ?? "";
      const nonce = /<script nonce="([^"]+)">/.exec(started.body)![1]!;
      assert.ok(csp.includes(`'nonce-${nonce}'`), csp);
      const options = optionsOnPage(started.body);
      assert.equal(options.rp.id, "app.test");
      assert.equal(options.authenticatorSelection.userVerification, "preferred");

      const auth = new SoftAuthenticator({ origin: ORIGIN });
      const done = await c.post(form.action, {
        form: { csrf_token: form.csrf, credential: JSON.stringify(auth.create(options)) },
      });
      assert.equal(done.status, 302, done.body);
      assert.match(done.location ?? "", /\/wan-register$/);
      const list = await c.get(done.location!);
      isHtml(list);
      assert.match(list.body, /Successfully added the passkey with name: Work laptop/);
      assert.match(list.body, /<td class="wrap">Work laptop<\/td><td>first<\/td><td>internal, hybrid<\/td>/);
      // Each passkey has a delete button posting its name to WAN_DELETE_URL.
      assert.match(
        list.body,
        /action="[^"]*\/wan-delete"><input type="hidden" name="csrf_token" value="[^"]+"><input type="hidden" name="name" value="Work laptop">/,
      );

      // A second use of the same state shows the list with the error (no second passkey).
      const again = await c.post(form.action, {
        form: { csrf_token: form.csrf, credential: JSON.stringify(auth.create(options)) },
      });
      isHtml(again);
      assert.match(again.body, /<li>Passkey operations must be completed within [^<]+\. Please start over\.<\/li>/);
      assert.equal((again.body.match(/<td class="wrap">/g) ?? []).length, 1);
      const after = await c.get("/wan-register", { acceptJson: true });
      assert.equal(after.json.response.registered_credentials.length, 1);
    });

    it("a form post without its csrf_token is refused; a signed-out browser is sent to sign in", async () => {
      const c = await browserSignedIn(app, "csrf.page@sub.example.test");
      const r = await c.post("/wan-register", { form: { name: "No token" } });
      assert.equal(r.status, 400, r.body);
      const anon = await app.client().get("/wan-register");
      assert.equal(anon.status, 302);
      assert.match(anon.location ?? "", /\/login\?next=%2Fwan-register/);
    });
  });

  describe(`passkey registration pages with WAN_POST_REGISTER_VIEW (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect, { postRegisterView: "/account/security" });
    });
    after(() => app.close());

    it("after adding a passkey the browser goes to WAN_POST_REGISTER_VIEW", async () => {
      const c = await browserSignedIn(app, "post.view@sub.example.test");
      const add = formById((await c.get("/wan-register")).body, "wan-register-form");
      const started = await c.post(add.action, { form: { csrf_token: add.csrf, name: "Desk key" } });
      const form = formById(started.body, "wan-register-response-form");
      const auth = new SoftAuthenticator({ origin: ORIGIN });
      const done = await c.post(form.action, {
        form: { csrf_token: form.csrf, credential: JSON.stringify(auth.create(optionsOnPage(started.body))) },
      });
      assert.equal(done.status, 302, done.body);
      assert.equal(done.location, "/account/security");
    });
  });
}
