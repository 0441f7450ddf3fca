import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TestClient } from "../helpers/client.js";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { atCallback, link, signedInAs } from "../helpers/oauth-flows.js";
import { linkedIdentityStore } from "../../src/features/oauth/store.js";
import { clocked, toStepStart } from "../helpers/totp-clock.js";
import { enrolAuthenticator } from "../../src/features/two-factor/testing/kit.js";

/**
 * Social sign-in, continued: registration on a first sign-in (RAMPART_OAUTH_REGISTER) with /register's email
 * rules, and the answers an SPA gets (REDIRECT_BEHAVIOR=spa). Real providers on loopback, as in oauth-signin.
 */
const PASSWORD = "correct horse battery";

async function subjectsOf(w: OauthWorld, email: string): Promise<string[]> {
  const user = await w.app.runtime.datastore.users.findByEmail(email);
  if (!user) return [];
  return (await w.app.runtime.datastore.store(linkedIdentityStore).listForUser(user.id)).map(
    (r) => `${r.provider}:${r.subject}`,
  );
}

describe("social sign-in: registration on first sign-in", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({
      mail: true,
      config: { returnGenericResponses: false, registration: { enabled: true }, oauth: { register: true } },
    });
  });
  after(async () => w?.close());

  it("a verified email nobody has: the account is made (no password, confirmed), linked and signed in, and welcomed", async () => {
    w.google.setAccount({ sub: "google-new", email: "New.Person+tag@Sub.Example.org", email_verified: true });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "google");
    assert.equal(callback.status, 302, callback.body);
    assert.equal(callback.location, "/");
    // /register's canonical form: the domain lower-cased, the local part kept.
    const email = "New.Person+tag@sub.example.org";
    assert.equal(await signedInAs(c), email);
    const user = await w.app.runtime.datastore.users.findByEmail(email);
    assert.ok(user);
    assert.equal(user.email, email);
    assert.equal(user.password, null);
    assert.ok(user.confirmedAt, "confirmed: the provider proved the mailbox");
    assert.deepEqual(await subjectsOf(w, email), ["google:google-new"]);
    const welcome = await w.app.sink.waitFor((m) => m.envelopeTo.includes(email));
    assert.equal(welcome.subject, "Welcome");
    assert.doesNotMatch(welcome.text, /https?:\/\//, "no confirmation link: the account is confirmed");
    assert.equal((await w.app.runtime.datastore.audit.list({ event: "register", userId: user.id })).length, 1);

    // The same identity again: the same account, no second one.
    const d = w.app.client();
    assert.equal((await w.signInWith(d, "google")).callback.location, "/");
    assert.equal(await signedInAs(d), email);
    assert.equal((await w.app.runtime.datastore.users.list()).filter((u) => u.email === email).length, 1);
  });

  it("two first sign-ins of one new identity at once: one account, one link, both signed in", async () => {
    w.idp.setAccount({ sub: "okta-twins", email: "twins@example.com", email_verified: true });
    const clients = [w.app.client(), w.app.client(), w.app.client()];
    const paths: string[] = [];
    for (const c of clients) paths.push(await atCallback(c, "okta"));
    const answers = await Promise.all(clients.map((c, i) => c.get(paths[i]!)));
    for (const a of answers) assert.equal(a.location, "/", a.body);
    for (const c of clients) assert.equal(await signedInAs(c), "twins@example.com");
    assert.deepEqual(await subjectsOf(w, "twins@example.com"), ["okta:okta-twins"]);
  });

  it("an email the provider did not verify creates nothing", async () => {
    w.idp.setAccount({ sub: "okta-unverified-new", email: "fresh@example.net", email_verified: false });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    assert.equal(callback.location, "/login");
    assert.equal(await signedInAs(c), null);
    assert.equal(await w.app.runtime.datastore.users.findByEmail("fresh@example.net"), null);
  });

  it("GitHub's verified primary email registers the account", async () => {
    w.github.setUser({
      id: 9001,
      login: "newbie",
      emails: [
        { email: "old@example.com", primary: false, verified: true },
        { email: "newbie@example.com", primary: true, verified: true },
      ],
    });
    const c = w.app.client();
    assert.equal((await w.signInWith(c, "github")).callback.location, "/");
    assert.equal(await signedInAs(c), "newbie@example.com");
    assert.deepEqual(await subjectsOf(w, "newbie@example.com"), ["github:9001"]);
  });

  it("an unconfirmed account with that email is neither linked nor replaced", async () => {
    await w.app.rampart.api.createUser({ email: "waiting@example.com", password: PASSWORD });
    w.idp.setAccount({ sub: "okta-waiting", email: "waiting@example.com", email_verified: true });
    const c = w.app.client();
    assert.equal((await w.signInWith(c, "okta")).callback.location, "/login");
    assert.equal(await signedInAs(c), null);
    assert.deepEqual(await subjectsOf(w, "waiting@example.com"), []);
  });
});

describe("social sign-in: a username required, confirmation required", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({
      config: {
        returnGenericResponses: false,
        registration: { enabled: true },
        username: { enable: true, required: true },
        confirmation: { enabled: true },
        oauth: { register: true },
      },
    });
  });
  after(async () => w?.close());

  it("cannot register (the provider gives no username): IDENTITY_NOT_REGISTERED, nothing created", async () => {
    w.idp.setAccount({ sub: "okta-needs-name", email: "needs-name@example.com", email_verified: true });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    assert.equal(callback.location, "/login");
    assert.ok((await c.get("/login")).body.includes("Identity needs-name@example.com not registered"));
    assert.equal(await w.app.runtime.datastore.users.findByEmail("needs-name@example.com"), null);
  });

  it("a linked identity of an account whose email is not confirmed: CONFIRMATION_REQUIRED, no session", async () => {
    await w.app.rampart.api.createUser({
      email: "unconfirmed@example.com",
      username: "unconfirmed",
      password: PASSWORD,
    });
    await link(w, "unconfirmed@example.com", "okta", "okta-unconfirmed");
    w.idp.setAccount({ sub: "okta-unconfirmed", email: "unconfirmed@example.com", email_verified: true });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    assert.equal(callback.location, "/login");
    assert.ok((await c.get("/login")).body.includes("Email requires confirmation."));
    assert.equal(await signedInAs(c), null);
  });
});

describe("social sign-in: an SPA's redirects", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({
      config: {
        returnGenericResponses: false,
        urls: { redirectBehavior: "spa" },
        unifiedSignin: { loginErrorView: "https://spa.example/login-error" },
        oauth: { postOauthLoginView: "https://spa.example/welcome" },
        totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
        twoFactor: { enabled: true },
      },
    });
  });
  after(async () => w?.close());

  it("signed in: POST_OAUTH_LOGIN_VIEW with email and identity", async () => {
    await w.app.rampart.api.createUser({ email: "spa@example.com", password: PASSWORD, confirmed: true });
    w.idp.setAccount({ sub: "okta-spa", email: "spa@example.com", email_verified: true });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta", { next: "/ignored-in-spa-mode" });
    const to = new URL(callback.location!);
    assert.equal(to.origin + to.pathname, "https://spa.example/welcome");
    assert.equal(to.searchParams.get("email"), "spa@example.com");
    assert.equal(to.searchParams.get("identity"), "spa@example.com");
    assert.equal(await signedInAs(c), "spa@example.com");
  });

  it("refused: LOGIN_ERROR_VIEW with the error", async () => {
    w.idp.setAccount({ sub: "okta-spa-nobody", email: "spa-nobody@example.com", email_verified: true });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    const to = new URL(callback.location!);
    assert.equal(to.origin + to.pathname, "https://spa.example/login-error");
    assert.equal(to.searchParams.get("error"), "Identity spa-nobody@example.com not registered");
  });

  it("a second factor to give: the second-factor page (as FS), the pending sign-in set", async () => {
    const t = clocked(w.app);
    toStepStart(t);
    await enrolAuthenticator(t, "spa-tf@example.com");
    await w.app.rampart.api.confirmUser((await w.app.runtime.datastore.users.findByEmail("spa-tf@example.com"))!);
    w.idp.setAccount({ sub: "okta-spa-tf", email: "spa-tf@example.com", email_verified: true });
    const c = w.app.client();
    const { callback } = await w.signInWith(c, "okta");
    assert.equal(callback.location, "/tf-validate");
    assert.equal(await signedInAs(c), null);
    const pending = await c.post("/tf-validate", {
      json: { code: "000000" },
      headers: { "x-csrf-token": await c.csrf() },
    });
    // The pending sign-in exists: a wrong code is judged as a code (not "no sign-in in progress").
    assert.equal(pending.status, 400, pending.body);
    assert.deepEqual(pending.json.response.error_codes, ["TWO_FACTOR_INVALID_TOKEN"]);
    const stranger = w.app.client();
    const none = await stranger.post("/tf-validate", {
      json: { code: "000000" },
      headers: { "x-csrf-token": await stranger.csrf() },
    });
    assert.notDeepEqual(none.json.response.error_codes, ["TWO_FACTOR_INVALID_TOKEN"], "without a pending sign-in");
  });
});
