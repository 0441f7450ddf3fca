import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import type { Reply, TestClient } from "../helpers/client.js";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { atCallback, link, linksOf, signedInAs } from "../helpers/oauth-flows.js";
import { linkedIdentityStore } from "../../src/features/oauth/store.js";
import { clocked, oathCode, toStepStart } from "../helpers/totp-clock.js";
import { enrolAuthenticator } from "../../src/features/two-factor/testing/kit.js";

/**
 * Social sign-in end to end: a real OpenID Connect provider ("okta", and the one behind "google") and a
 * GitHub-speaking server on loopback, driven as a browser would (the start route with CSRF, the provider's
 * redirects, the callback in the same client). What is asserted is what a user sees: the redirect, whether the
 * client is signed in, and the rows written.
 */
const PASSWORD = "correct horse battery";

/** The sign-in page a refused callback sent the browser to, with its flash message (HTML-escaped). */
async function refusedWith(c: TestClient, callback: Reply, text: string, next = ""): Promise<void> {
  assert.equal(callback.status, 302, callback.body);
  assert.equal(callback.location, `/login${next}`);
  const page = await c.get("/login");
  assert.ok(page.body.includes(escapeHtml(text)), `the sign-in page shows "${text}"`);
  assert.equal(await signedInAs(c), null, "nobody signed in");
}

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

async function sessionVia(w: OauthWorld, email: string): Promise<string[]> {
  const user = await w.app.runtime.datastore.users.findByEmail(email);
  const sessions = await w.app.runtime.sessions.listForUser(user!.id);
  assert.equal(sessions.length, 1);
  return sessions[0]!.authnVia as string[];
}

const TWO_FACTOR = { totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" }, twoFactor: { enabled: true } };

for (const dialect of flowDialects()) {
  describe(`social sign-in: a linked identity, and a first sign-in by verified email (${dialect})`, () => {
    let w: OauthWorld;
    before(async () => {
      w = await startOauthWorld({ dialect, config: { returnGenericResponses: false } });
    });
    after(async () => w?.close());

    it("a linked okta identity signs its user in; the session records oauth, the provider and the upstream amr", async () => {
      await w.app.rampart.api.createUser({ email: "linked@example.com", password: PASSWORD, confirmed: true });
      await link(w, "linked@example.com", "okta", "okta-linked");
      // Linked by subject: the email the provider gives now does not matter.
      w.idp.setAccount({
        sub: "okta-linked",
        email: "someone-else@example.com",
        email_verified: false,
        amr: ["pwd", "mfa"],
      });
      const c = w.app.client();
      const { start, callback } = await w.signInWith(c, "okta");
      assert.equal(start.status, 302);
      assert.equal(callback.status, 302, callback.body);
      assert.equal(callback.location, "/");
      assert.equal(await signedInAs(c), "linked@example.com");
      const via = await sessionVia(w, "linked@example.com");
      for (const v of ["oauth", "oauth:idp=okta", "oauth:amr=pwd", "oauth:amr=mfa"])
        assert.ok(via.includes(v), `${v} in ${via}`);
      const user = await w.app.runtime.datastore.users.findByEmail("linked@example.com");
      const [row] = await w.app.runtime.datastore.store(linkedIdentityStore).listForUser(user!.id);
      assert.ok(row!.lastUsedAt, "the identity's last use is recorded");
    });

    it("a verified email links onto the confirmed account with that email (written in another case) and signs in", async () => {
      await w.app.rampart.api.createUser({
        email: "mary-jane.o+test@mail.example-site.co.uk",
        password: PASSWORD,
        confirmed: true,
      });
      w.idp.setAccount({ sub: "okta-mary", email: "Mary-Jane.O+test@Mail.Example-Site.co.uk", email_verified: true });
      const c = w.app.client();
      const { callback } = await w.signInWith(c, "okta");
      assert.equal(callback.location, "/", callback.body);
      assert.equal(await signedInAs(c), "mary-jane.o+test@mail.example-site.co.uk");
      assert.deepEqual(await linksOf(w, "mary-jane.o+test@mail.example-site.co.uk"), [
        { provider: "okta", subject: "okta-mary" },
      ]);
      const audit = await w.app.runtime.datastore.audit.list({ event: "oauth_linked" });
      assert.equal(audit.length, 1);
    });

    it("two first sign-ins of one identity at once: one link, both signed in as its owner", async () => {
      await w.app.rampart.api.createUser({ email: "racer@example.com", password: PASSWORD, confirmed: true });
      w.idp.setAccount({ sub: "okta-racer", email: "racer@example.com", email_verified: true });
      const clients = [w.app.client(), w.app.client(), w.app.client()];
      const paths: string[] = [];
      for (const c of clients) paths.push(await atCallback(c, "okta"));
      const answers = await Promise.all(clients.map((c, i) => c.get(paths[i]!)));
      for (const a of answers) assert.equal(a.location, "/", a.body);
      for (const c of clients) assert.equal(await signedInAs(c), "racer@example.com");
      assert.deepEqual(await linksOf(w, "racer@example.com"), [{ provider: "okta", subject: "okta-racer" }]);
    });
  });
}

describe("social sign-in: who may sign in", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({ config: { returnGenericResponses: false, ...TWO_FACTOR } });
  });
  after(async () => w?.close());

  it("google and github identities sign their linked users in", async () => {
    await w.app.rampart.api.createUser({ email: "g@example.com", password: PASSWORD });
    await link(w, "g@example.com", "google", "google-sub-1");
    w.google.setAccount({ sub: "google-sub-1", email: "g@example.com", email_verified: true });
    const c = w.app.client();
    assert.equal((await w.signInWith(c, "google")).callback.location, "/");
    assert.equal(await signedInAs(c), "g@example.com");
    assert.ok((await sessionVia(w, "g@example.com")).includes("oauth:idp=google"));

    await w.app.rampart.api.createUser({ email: "octo@example.com", password: PASSWORD });
    await link(w, "octo@example.com", "github", "4242");
    w.github.setUser({
      id: 4242,
      login: "octo",
      emails: [{ email: "octo@example.com", primary: true, verified: true }],
    });
    const d = w.app.client();
    assert.equal((await w.signInWith(d, "github")).callback.location, "/");
    assert.equal(await signedInAs(d), "octo@example.com");
    assert.ok((await sessionVia(w, "octo@example.com")).includes("oauth:idp=github"));
  });

  it("an unconfirmed account with the verified email is refused and not linked (its owner never proved the address)", async () => {
    await w.app.rampart.api.createUser({ email: "squatted@example.com", password: PASSWORD });
    w.idp.setAccount({ sub: "okta-owner", email: "Squatted@Example.com", email_verified: true });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    await refusedWith(
      c,
      callback,
      "An account with this email exists. Sign in to it another way first, then link Okta from your account page.",
    );
    assert.deepEqual(await linksOf(w, "squatted@example.com"), []);
  });

  it('email_verified "true" (a string) is not a verified email: refused, nothing linked', async () => {
    await w.app.rampart.api.createUser({ email: "stringly@example.com", password: PASSWORD, confirmed: true });
    w.idp.setAccount({ sub: "okta-stringly", email: "stringly@example.com", email_verified: "true" });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    await refusedWith(
      c,
      callback,
      "Okta did not confirm that this email address is yours. Sign in another way, then link Okta from your account page.",
    );
    assert.deepEqual(await linksOf(w, "stringly@example.com"), []);
  });

  it("GitHub's primary email that GitHub has not verified is not a verified email", async () => {
    await w.app.rampart.api.createUser({ email: "unverified-gh@example.com", password: PASSWORD, confirmed: true });
    w.github.setUser({
      id: 777,
      login: "ghost",
      email: "unverified-gh@example.com",
      emails: [
        { email: "unverified-gh@example.com", primary: true, verified: false },
        { email: "other@example.com", primary: false, verified: true },
      ],
    });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "github");
    await refusedWith(c, callback, "GitHub did not confirm that this email address is yours.");
    assert.deepEqual(await linksOf(w, "unverified-gh@example.com"), []);
  });

  it("a verified email nobody has: IDENTITY_NOT_REGISTERED (registration on first sign-in is off)", async () => {
    w.idp.setAccount({ sub: "okta-nobody", email: "nobody@example.com", email_verified: true });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    await refusedWith(c, callback, "Identity nobody@example.com not registered");
    assert.equal(await w.app.runtime.datastore.users.findByEmail("nobody@example.com"), null);
  });

  it("a deactivated user: DISABLED_ACCOUNT, no session", async () => {
    const user = await w.app.rampart.api.createUser({ email: "off@example.com", password: PASSWORD, confirmed: true });
    await link(w, "off@example.com", "okta", "okta-off");
    await w.app.rampart.api.deactivateUser(user);
    w.idp.setAccount({ sub: "okta-off", email: "off@example.com", email_verified: true });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    await refusedWith(c, callback, "Account is disabled.");
  });

  it("an account whose lockout is closed is refused as a right password would be; nothing linked", async () => {
    await w.app.rampart.api.createUser({ email: "guessed@example.com", password: PASSWORD, confirmed: true });
    const attacker = w.app.client();
    for (let i = 0; i < 5; i++) await attacker.login("guessed@example.com", "wrong password " + i);
    assert.equal(
      (await w.app.rampart.api.lockState((await w.app.rampart.api.findUser("guessed@example.com"))!)).locked,
      true,
    );
    w.idp.setAccount({ sub: "okta-guessed", email: "guessed@example.com", email_verified: true });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    await refusedWith(c, callback, "Too many failed attempts. Try again later.");
    assert.deepEqual(await linksOf(w, "guessed@example.com"), []);
    assert.equal(
      (await w.app.rampart.api.lockState((await w.app.rampart.api.findUser("guessed@example.com"))!)).locked,
      true,
    );
  });

  it("a user with an authenticator stops at the second factor; the code completes the sign-in", async () => {
    const t = clocked(w.app);
    toStepStart(t);
    const secret = await enrolAuthenticator(t, "tf@example.com");
    t.advance(30);
    await link(w, "tf@example.com", "okta", "okta-tf");
    w.idp.setAccount({
      sub: "okta-tf",
      email: "tf@example.com",
      email_verified: true,
      amr: ["otp"],
      acr: "urn:okta:loa:2fa",
    });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    assert.equal(callback.status, 302, callback.body);
    assert.equal(callback.location, "/tf-validate");
    assert.equal(await signedInAs(c), null, "the first factor alone signs nobody in");
    const page = await c.get("/tf-validate");
    assert.equal(page.status, 200);
    const csrf = await c.csrf();
    const done = await c.post("/tf-validate", {
      json: { code: oathCode(t, secret) },
      headers: { "x-csrf-token": csrf },
    });
    assert.equal(done.status, 200, done.body);
    assert.equal(await signedInAs(c), "tf@example.com");
    const user = await w.app.runtime.datastore.users.findByEmail("tf@example.com");
    const sessions = await w.app.runtime.sessions.listForUser(user!.id);
    // The enrolment's password session is still there; the social one is the other.
    const via = sessions.map((x) => x.authnVia as string[]).find((v) => !v.includes("password"))!;
    for (const v of ["oauth", "oauth:idp=okta", "oauth:amr=otp", "oauth:acr=urn:okta:loa:2fa", "tf:authenticator"])
      assert.ok(via.includes(v), `${v} in ${via}`);
  });

  it("next is honoured when it is the app's own; an evil one is ignored", async () => {
    await w.app.rampart.api.createUser({ email: "next@example.com", password: PASSWORD });
    await link(w, "next@example.com", "okta", "okta-next");
    w.idp.setAccount({ sub: "okta-next", email: "next@example.com", email_verified: true });
    const good = await w.signInWith(w.app.client(), "okta", { next: "/profile?tab=security" });
    assert.equal(good.callback.location, "/profile?tab=security");
    for (const evil of ["https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:alert(1)"]) {
      const c = w.app.client();
      const r = await w.signInWith(c, "okta", { next: evil });
      assert.equal(r.callback.location, "/", evil);
      assert.equal(await signedInAs(c), "next@example.com");
    }
  });

  it("remember from the start's form gives the session a remember cookie; without it, none", async () => {
    await w.app.rampart.api.createUser({ email: "remember@example.com", password: PASSWORD });
    await link(w, "remember@example.com", "okta", "okta-remember");
    w.idp.setAccount({ sub: "okta-remember", email: "remember@example.com", email_verified: true });
    const cookie = w.app.rampart.config.session.rememberCookieName;
    const kept = w.app.client();
    assert.equal((await kept.get(await atCallback(kept, "okta", { remember: "y" }))).location, "/");
    assert.ok(kept.jar.get(cookie), "a remember cookie");
    const plain = w.app.client();
    assert.equal((await plain.get(await atCallback(plain, "okta"))).location, "/");
    assert.equal(await signedInAs(plain), "remember@example.com");
    assert.equal(plain.jar.get(cookie), undefined);
  });

  it("a signed-in caller may not start: JSON 400 ANONYMOUS_USER_REQUIRED, a browser back to POST_LOGIN_VIEW", async () => {
    await w.app.rampart.api.createUser({ email: "already@example.com", password: PASSWORD });
    const c = w.app.client();
    assert.equal((await c.login("already@example.com", PASSWORD)).status, 200);
    const csrf = await c.csrf();
    const json = await c.post("/login/oauthstart/okta", { json: {}, headers: { "x-csrf-token": csrf } });
    assert.equal(json.status, 400, json.body);
    assert.deepEqual(json.json.response.error_codes, ["ANONYMOUS_USER_REQUIRED"]);
    const form = await c.post("/login/oauthstart/okta", { form: { csrf_token: csrf } });
    assert.equal(form.status, 302);
    assert.equal(form.location, "/");
    assert.ok(![...c.jar.keys()].some((k) => k.includes("rampart_oauth")), "no flow started");
  });

  it("an unknown provider is 404; a start without CSRF is refused", async () => {
    const c = w.app.client();
    const csrf = await c.csrf();
    const r = await c.post("/login/oauthstart/nosuch", { json: {}, headers: { "x-csrf-token": csrf } });
    assert.equal(r.status, 404);
    const noCsrf = await c.post("/login/oauthstart/okta", { json: {} });
    assert.equal(noCsrf.status, 400, noCsrf.body);
    assert.deepEqual(noCsrf.json.response.error_codes, ["CSRF_MISSING"]);
    assert.ok(![...c.jar.keys()].some((k) => k.includes("rampart_oauth")), "no flow started");
  });

  it("an SPA gets the providers with their start URLs, and the start answers {location} to navigate to", async () => {
    const c = w.app.client();
    const list = await c.get("/login/oauthstart", { acceptJson: true });
    assert.equal(list.status, 200, list.body);
    assert.deepEqual((list.json.response.providers as { name: string }[]).map((p) => p.name).sort(), [
      "github",
      "google",
      "okta",
    ]);
    const okta = (list.json.response.providers as { name: string; label: string; start_url: string }[]).find(
      (p) => p.name === "okta",
    );
    assert.deepEqual(okta, { name: "okta", label: "Okta", start_url: "/login/oauthstart/okta" });
    await w.app.rampart.api.createUser({ email: "spa-json@example.com", password: PASSWORD });
    await link(w, "spa-json@example.com", "okta", "okta-spa-json");
    w.idp.setAccount({ sub: "okta-spa-json", email: "spa-json@example.com", email_verified: true });
    const { start, callback } = await w.signInWith(c, "okta", { json: true });
    assert.equal(start.status, 200, start.body);
    assert.match(start.json.response.location as string, /^http:\/\/127\.0\.0\.1:\d+\//);
    assert.equal(callback.location, "/");
    assert.equal(await signedInAs(c), "spa-json@example.com");
  });

  it("the app's before-hook can refuse a social sign-in: nothing linked, nobody signed in", async () => {
    // The hook is part of the runtime: set it for this test only.
    const hooks = w.app.runtime.hooks as { before?: Record<string, unknown> };
    const previous = hooks.before;
    hooks.before = { ...previous, oauth_signin: async () => ({ message: "Social sign-in is closed today." }) };
    try {
      await w.app.rampart.api.createUser({ email: "vetoed@example.com", password: PASSWORD, confirmed: true });
      w.idp.setAccount({ sub: "okta-vetoed", email: "vetoed@example.com", email_verified: true });
      const c = w.app.client();
      const { callback } = await w.signInWith(c, "okta");
      await refusedWith(c, callback, "Social sign-in is closed today.");
      assert.deepEqual(await linksOf(w, "vetoed@example.com"), []);
    } finally {
      hooks.before = previous;
    }
  });
});
