import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects, type TestApp } from "../../../test/helpers/app.js";
import type { Reply, TestClient } from "../../../test/helpers/client.js";
import { SoftAuthenticator } from "../../../test/helpers/soft-authenticator.js";
import { enrolPasskey } from "./testing/enrol.js";
import { createWanApp, ORIGIN, PASSWORD, signedIn, userWithPasskey } from "./testing/signin-kit.js";

/**
 * The /wan-signin pages as a form user sees them (no JSON): the start form with passkey autofill, the ceremony
 * button, the second-factor page, errors on the page; forms posted with their csrf_token field, the browser's
 * part played by the software authenticator with the options the page carries.
 */
interface CeremonyForm {
  action: string;
  kind: string;
  options: any;
  fields: Record<string, string>;
}

/** Every ceremony form on the page: its action, kind, options (the JSON the script reads) and hidden fields. */
function ceremonyForms(page: string): CeremonyForm[] {
  const forms: CeremonyForm[] = [];
  const re = /<form method="post" action="([^"]+)" data-wan-ceremony="(\w+)"[^>]*>([\s\S]*?)<\/form>/g;
  for (const m of page.matchAll(re)) {
    const json = /<script type="application\/json" data-wan-options>([\s\S]*?)<\/script>/.exec(m[3]!);
    assert.ok(json, "the form carries its options");
    const fields: Record<string, string> = {};
    for (const f of m[3]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      fields[f[1]!] = f[2]!.replaceAll("&amp;", "&").replaceAll("&#39;", "'");
    forms.push({ action: m[1]!, kind: m[2]!, options: JSON.parse(json[1]!), fields });
  }
  return forms;
}

function isPage(r: Reply): void {
  assert.equal(r.status, 200, r.body);
  assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
}

function csrfOf(page: string, formId: string): string {
  const form = new RegExp(`<form method="post" action="[^"]+" id="${formId}">([\\s\\S]*?)</form>`).exec(page);
  assert.ok(form, `form #${formId} on the page`);
  return /name="csrf_token" value="([^"]+)"/.exec(form[1]!)![1]!;
}

/** The browser's part: run the ceremony of `form` and post its answer with the form's hidden fields. */
function answer(c: TestClient, form: CeremonyForm, auth: SoftAuthenticator, forge = {}): Promise<Reply> {
  return c.post(form.action, { form: { ...form.fields, credential: JSON.stringify(auth.get(form.options, forge)) } });
}

for (const dialect of flowDialects()) {
  describe(`passkey sign-in pages (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createWanApp(dialect, {}, { twoFactor: { enabled: true } });
    });
    after(() => app.close());

    it("GET /wan-signin: the identity field offers passkeys (autofill) and a discoverable ceremony starts with the page", async () => {
      const r = await app.client().get("/wan-signin");
      isPage(r);
      assert.match(
        r.body,
        /<input id="identity" type="text" name="identity" value="" autocomplete="username webauthn">/,
      );
      const [autofill, ...rest] = ceremonyForms(r.body);
      assert.equal(rest.length, 0);
      assert.equal(autofill!.kind, "autofill");
      assert.match(autofill!.action, /^\/wan-signin\/[\w.-]+$/);
      assert.deepEqual(autofill!.options.allowCredentials, []);
      assert.ok(autofill!.fields.csrf_token);
      // The inline script runs under the answer's CSP nonce.
      const nonce = /<script nonce="([^"]+)">/.exec(r.body)?.[1];
      assert.ok(nonce);
      assert.match(r.headers.get("content-security-policy") ?? "", new RegExp(`'nonce-${nonce}'`));
    });

    it("autofill: the passkey picked in the identity field signs in and the browser goes to the post-login view", async () => {
      const { auth } = await userWithPasskey(app, "Auto.Fill+page@Sub.Example.test");
      const c = app.client();
      const [autofill] = ceremonyForms((await c.get("/wan-signin")).body);
      const done = await answer(c, autofill!, auth);
      assert.equal(done.status, 302, done.body);
      assert.equal(done.location, "/");
      assert.ok(await signedIn(c));
      // Signed in, the page has nothing to offer: the browser goes to the post-login view.
      const again = await c.get("/wan-signin");
      assert.equal(again.status, 302, again.body);
      assert.equal(again.location, "/");
    });

    it("the start form with a hint, remember and next: the ceremony page's button, then the browser goes to next", async () => {
      const email = "Button.Flow+page@example.test";
      const { auth } = await userWithPasskey(app, email);
      const c = app.client();
      const start = await c.get("/wan-signin?next=/after-signin");
      const csrf = csrfOf(start.body, "wan-signin-form");
      const page = await c.post("/wan-signin", {
        form: { csrf_token: csrf, identity: email, remember: "true", next: "/after-signin" },
      });
      isPage(page);
      const [ceremony] = ceremonyForms(page.body);
      assert.equal(ceremony!.kind, "authenticate");
      assert.match(page.body, /<button type="submit">Continue with my passkey<\/button>/);
      assert.equal(ceremony!.options.allowCredentials[0].id, auth.credentials[0]!.idB64);
      assert.equal(ceremony!.fields.next, "/after-signin");
      const done = await answer(c, ceremony!, auth);
      assert.equal(done.status, 302, done.body);
      assert.equal(done.location, "/after-signin");
      assert.ok(
        done.setCookies.some((s) => /remember/i.test(s.split("=")[0]!)),
        done.setCookies.join("\n"),
      );
      assert.ok(await signedIn(c));
    });

    it("a refused answer shows the sign-in page again with the reason and a new ceremony", async () => {
      const { auth } = await userWithPasskey(app, "refused.page@example.test");
      const c = app.client();
      const [autofill] = ceremonyForms((await c.get("/wan-signin")).body);
      const refused = await answer(c, autofill!, auth, { badSignature: true });
      isPage(refused);
      assert.match(refused.body, /Could not verify passkey: /);
      const [again] = ceremonyForms(refused.body);
      assert.notEqual(again!.action, autofill!.action);
      assert.equal(await signedIn(c), false);
      const done = await answer(c, again!, auth);
      assert.equal(done.status, 302, done.body);
    });

    it("password then passkey: the login form sends the browser to the passkey page, whose button completes it", async () => {
      const user = await app.rampart.api.createUser({ email: "Second.Page+tf@example.test", password: PASSWORD });
      const key = new SoftAuthenticator({ origin: ORIGIN, uv: false });
      await enrolPasskey(app, user, key, { name: "Key", usage: "secondary" });
      const c = app.client();
      const loginPage = await c.get("/login");
      const login = await c.post("/login", {
        form: { csrf_token: csrfOf(loginPage.body, "login-form"), email: user.email, password: PASSWORD },
      });
      assert.equal(login.status, 302, login.body);
      assert.equal(login.location, "/wan-signin");
      const page = await c.get("/wan-signin");
      isPage(page);
      assert.match(page.body, /second factor/);
      const [ceremony] = ceremonyForms(page.body);
      assert.equal(ceremony!.kind, "authenticate");
      assert.equal(ceremony!.options.allowCredentials[0].id, key.credentials[0]!.idB64);
      const done = await answer(c, ceremony!, key);
      assert.equal(done.status, 302, done.body);
      assert.equal(done.location, "/");
      assert.ok(await signedIn(c));
    });
  });
}

describe("passkey sign-in page when passkeys are not a first factor", () => {
  let app: TestApp;
  before(async () => {
    app = await createWanApp("sqlite", { allowAsFirstFactor: false });
  });
  after(() => app.close());

  it("GET /wan-signin answers 404 to a browser too", async () => {
    const r = await app.client().get("/wan-signin");
    assert.equal(r.status, 404, r.body);
  });
});
