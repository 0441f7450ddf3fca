import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { IdpAccount } from "../helpers/oidc-idp.js";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { atCallback, link, linksOf, signedInAs } from "../helpers/oauth-flows.js";
import { linksIn } from "../helpers/smtp-sink.js";
import { clocked } from "../helpers/totp-clock.js";
import { requestEmailCode, setupEmail } from "../../src/features/unified-signin/testing/kit.js";
import {
  PASSWORD,
  browserWith,
  expectRefused,
  flowCookieOf,
  flowExpired,
  startAt,
} from "../helpers/oauth-attack-kit.js";

/**
 * The attacker's tests of social sign-in, part two: accounts. Unverified emails and look-alike addresses,
 * identities of two providers with one email or one subject, parallel first sign-ins, a squatted account waiting
 * for its owner, and the flow cookie and Rampart's other tokens (magic link, reset, confirmation, auth token,
 * session) in each other's places. SQLite.
 */
const NOT_VERIFIED = "Okta did not confirm that this email address is yours.";
const SIGN_IN_FIRST = "An account with this email exists. Sign in to it another way first";
describe("social sign-in attacks: unverified emails, one email or one subject at two providers, parallel first sign-ins", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({
      config: { returnGenericResponses: false, registration: { enabled: true }, oauth: { register: true } },
    });
  });
  after(async () => w?.close());

  const unverified: [string, Partial<IdpAccount>][] = [
    ["false", { email_verified: false }],
    ['"true" (a string)', { email_verified: "true" }],
    ['"false" (a string)', { email_verified: "false" }],
    ["missing", {}],
  ];
  for (const [what, claim] of unverified) {
    it(`email_verified ${what}: no link onto the confirmed account with that email, no registration`, async () => {
      const slug = what.replace(/\W+/g, "-").replace(/^-|-$/g, "");
      const owner = `owner-${slug}@example.com`;
      await w.app.rampart.api.createUser({ email: owner, password: PASSWORD, confirmed: true });
      w.idp.setAccount({ sub: `okta-ev-${slug}`, email: owner, ...claim });
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      await expectRefused(w, c, () => c.get(path), { text: NOT_VERIFIED, reason: "OAUTH_EMAIL_NOT_VERIFIED" });
      assert.deepEqual(await linksOf(w, owner), []);

      const fresh = `fresh-${slug}@example.com`;
      w.idp.setAccount({ sub: `okta-new-${slug}`, email: fresh, ...claim });
      const d = w.app.client();
      const other = await atCallback(d, "okta");
      await expectRefused(w, d, () => d.get(other), { text: NOT_VERIFIED, reason: "OAUTH_EMAIL_NOT_VERIFIED" });
      assert.equal(await w.app.runtime.datastore.users.findByEmail(fresh), null, "no account registered");
    });
  }

  it("a verified look-alike address (fullwidth, Cyrillic) never links onto the account it imitates", async () => {
    await w.app.rampart.api.createUser({ email: "target@example.com", password: PASSWORD, confirmed: true });
    for (const [i, email] of [
      "\uff54arget@example.com",
      "t\u0430rget@example.com",
      "target@ex\u0430mple.com",
    ].entries()) {
      w.idp.setAccount({ sub: `okta-lookalike-${i}`, email, email_verified: true });
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      await expectRefused(w, c, () => c.get(path), {
        text: "not registered",
        reason: "IDENTITY_NOT_REGISTERED",
      });
    }
    assert.deepEqual(await linksOf(w, "target@example.com"), []);
  });

  it("okta and google assert one email with different subjects: two separate identities, each audited, no takeover", async () => {
    // okta's first sign-in registers the account (registration on first sign-in is on).
    w.idp.setAccount({ sub: "okta-alice", email: "alice@example.com", email_verified: true });
    const a = w.app.client();
    assert.equal((await w.signInWith(a, "okta")).callback.location, "/");
    // google's identity is a different (provider, subject): it links by the verified email (the account's
    // address was proven by okta), as its own row, announced like any link — not treated as okta's identity.
    w.google.setAccount({ sub: "google-alice", email: "alice@example.com", email_verified: true });
    const b = w.app.client();
    assert.equal((await w.signInWith(b, "google")).callback.location, "/");
    assert.equal(await signedInAs(b), "alice@example.com");
    assert.deepEqual((await linksOf(w, "alice@example.com")).map((l) => `${l.provider}:${l.subject}`).sort(), [
      "google:google-alice",
      "okta:okta-alice",
    ]);
    const user = await w.app.runtime.datastore.users.findByEmail("alice@example.com");
    const linked = await w.app.runtime.datastore.audit.list({ event: "oauth_linked", userId: user!.id });
    assert.deepEqual(linked.map((r) => r.details?.provider).sort(), ["google", "okta"]);
    assert.equal((await w.app.runtime.datastore.users.list()).filter((u) => u.email === "alice@example.com").length, 1);

    // google now says the same person has an unverified other address: still the linked account (by subject).
    w.google.setAccount({ sub: "google-alice", email: "alice-new@example.com", email_verified: false });
    const c = w.app.client();
    assert.equal((await w.signInWith(c, "google")).callback.location, "/");
    assert.equal(await signedInAs(c), "alice@example.com");
    assert.equal(await w.app.runtime.datastore.users.findByEmail("alice-new@example.com"), null);
  });

  it("the same subject at two providers is two identities: google's 'sub' never signs in as okta's user", async () => {
    await w.app.rampart.api.createUser({ email: "okta-owner@example.com", password: PASSWORD, confirmed: true });
    await link(w, "okta-owner@example.com", "okta", "shared-sub-1");
    // google's person with that sub and an unverified email: no account of theirs, and never okta's user.
    w.google.setAccount({ sub: "shared-sub-1", email: "okta-owner@example.com", email_verified: false });
    const c = w.app.client();
    const path = await atCallback(c, "google");
    await expectRefused(w, c, () => c.get(path), {
      text: "Google did not confirm that this email address is yours.",
      reason: "OAUTH_EMAIL_NOT_VERIFIED",
    });
    // With a verified email of their own: their own new account, linked as google's identity.
    w.google.setAccount({ sub: "shared-sub-1", email: "google-person@example.com", email_verified: true });
    const d = w.app.client();
    assert.equal((await w.signInWith(d, "google")).callback.location, "/");
    assert.equal(await signedInAs(d), "google-person@example.com");
    assert.deepEqual(await linksOf(w, "okta-owner@example.com"), [{ provider: "okta", subject: "shared-sub-1" }]);
    assert.deepEqual(await linksOf(w, "google-person@example.com"), [{ provider: "google", subject: "shared-sub-1" }]);
  });

  it("8 parallel first sign-ins of one new identity: one account, one link, every browser signed in as it", async () => {
    w.idp.setAccount({ sub: "okta-crowd", email: "crowd@example.com", email_verified: true });
    const clients = Array.from({ length: 8 }, () => w.app.client());
    const paths: string[] = [];
    for (const c of clients) paths.push(await atCallback(c, "okta"));
    const answers = await Promise.all(clients.map((c, i) => c.get(paths[i]!)));
    for (const a of answers) assert.equal(a.location, "/", a.body);
    for (const c of clients) assert.equal(await signedInAs(c), "crowd@example.com");
    assert.equal((await w.app.runtime.datastore.users.list()).filter((u) => u.email === "crowd@example.com").length, 1);
    assert.deepEqual(await linksOf(w, "crowd@example.com"), [{ provider: "okta", subject: "okta-crowd" }]);
  });
});

describe("social sign-in attacks: a squatted address (pre-account hijack)", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({
      mail: true,
      config: {
        returnGenericResponses: false,
        registration: { enabled: true },
        confirmation: { enabled: true, loginWithoutConfirmation: true },
        recovery: { enabled: true },
        oauth: { register: true },
      },
    });
  });
  after(async () => w?.close());

  it("an attacker's unconfirmed password account for the victim's address is neither linked nor handed over", async () => {
    const attacker = w.app.client();
    const csrf = await attacker.csrf();
    const reg = await attacker.post("/register", {
      json: { email: "victim@example.com", password: PASSWORD, password_confirm: PASSWORD },
      headers: { "x-csrf-token": csrf },
    });
    assert.equal(reg.status, 200, reg.body);
    // LOGIN_WITHOUT_CONFIRMATION: the registration signed the attacker in to the unconfirmed account.
    assert.equal(await signedInAs(attacker), "victim@example.com");
    const squat = await w.app.runtime.datastore.users.findByEmail("victim@example.com");
    assert.equal(squat!.confirmedAt, null);

    // The victim arrives by Google, which verified the address: not linked onto the squat, no new account.
    w.google.setAccount({ sub: "google-victim", email: "victim@example.com", email_verified: true });
    const victim = w.app.client();
    const path = await atCallback(victim, "google");
    await expectRefused(w, victim, () => victim.get(path), { text: SIGN_IN_FIRST, reason: "OAUTH_LINK_SIGN_IN_FIRST" });
    assert.deepEqual(await linksOf(w, "victim@example.com"), []);
    assert.equal(
      (await w.app.runtime.datastore.users.list()).filter((u) => u.email === "victim@example.com").length,
      1,
    );
    // The attacker's session is still only the unconfirmed squat, with no identity behind it.
    assert.equal(await signedInAs(attacker), "victim@example.com");
    const sessions = await w.app.runtime.sessions.listForUser(squat!.id);
    for (const s of sessions)
      assert.ok(!(s.authnVia as string[]).some((v) => v.startsWith("oauth")), "no social session");

    // The owner proves the mailbox with a reset link: the squatter's session ends and the password they set is
    // gone; from then on the owner's Google signs in to the owner's account, never into the squatter's session.
    const owner = w.app.client();
    const asked = await owner.post("/reset", {
      json: { email: "victim@example.com" },
      headers: { "x-csrf-token": await owner.csrf() },
    });
    assert.equal(asked.status, 200, asked.body);
    const mail = await w.app.sink.waitFor(
      (m) => m.envelopeTo.includes("victim@example.com") && linksIn(m).some((u) => u.includes("/reset/")),
    );
    const resetPath = new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname;
    const newPassword = "the owner's own passphrase 7";
    const reset = await owner.post(resetPath, {
      json: { password: newPassword, password_confirm: newPassword },
      headers: { "x-csrf-token": await owner.csrf() },
    });
    assert.equal(reset.status, 200, reset.body);
    assert.equal(await signedInAs(attacker), null, "the squatter's session ended");
    const again = w.app.client();
    assert.equal((await again.login("victim@example.com", PASSWORD)).status, 400, "the squatter's password is gone");
    const byGoogle = w.app.client();
    assert.equal((await w.signInWith(byGoogle, "google")).callback.location, "/");
    assert.equal(await signedInAs(byGoogle), "victim@example.com");
    assert.equal(await signedInAs(attacker), null);
    assert.deepEqual(await linksOf(w, "victim@example.com"), [{ provider: "google", subject: "google-victim" }]);
  });
});

describe("social sign-in attacks: the flow cookie and Rampart's other tokens are not interchangeable", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({
      mail: true,
      config: {
        returnGenericResponses: false,
        registration: { enabled: true },
        confirmation: { enabled: true },
        recovery: { enabled: true },
        unifiedSignin: { enabled: true, sendLimit: 50 },
        totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
      },
    });
    await w.app.rampart.api.createUser({ email: "holder@example.com", password: PASSWORD, confirmed: true });
    await link(w, "holder@example.com", "okta", "okta-holder");
    w.idp.setAccount({ sub: "okta-holder", email: "holder@example.com", email_verified: true });
  });
  after(async () => w?.close());

  async function resetToken(email: string): Promise<string> {
    const c = w.app.client();
    const r = await c.post("/reset", { json: { email }, headers: { "x-csrf-token": await c.csrf() } });
    assert.equal(r.status, 200, r.body);
    const mail = await w.app.sink.waitFor(
      (m) => m.envelopeTo.includes(email) && linksIn(m).some((u) => u.includes("/reset/")),
    );
    return new URL(linksIn(mail).find((u) => u.includes("/reset/"))!).pathname.split("/").pop()!;
  }

  async function confirmToken(email: string): Promise<string> {
    const c = w.app.client();
    const r = await c.post("/register", {
      json: { email, password: PASSWORD, password_confirm: PASSWORD },
      headers: { "x-csrf-token": await c.csrf() },
    });
    assert.equal(r.status, 200, r.body);
    const mail = await w.app.sink.waitFor(
      (m) => m.envelopeTo.includes(email) && linksIn(m).some((u) => u.includes("/confirm/")),
    );
    return new URL(linksIn(mail).find((u) => u.includes("/confirm/"))!).pathname.split("/").pop()!;
  }

  /** A confirmed password account with the email method set up; a fresh magic link for it. */
  async function magicLink(email: string): Promise<string> {
    const t = clocked(w.app);
    await w.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
    const c = w.app.client();
    assert.equal((await c.login(email, PASSWORD)).status, 200);
    await setupEmail(t, c, email);
    const { link } = await requestEmailCode(t, email);
    assert.ok(link, "a magic link");
    return link;
  }

  it("the flow cookie's value is no magic link code: the link's POST with it signs nobody in", async () => {
    const link = new URL(await magicLink("magic-target@example.com"));
    const id = link.searchParams.get("id")!;
    const c = w.app.client();
    await startAt(c, "okta");
    const [, flow] = flowCookieOf(c);
    const verifyLink = async (code: string) => {
      const x = w.app.client();
      const r = await x.post("/us-verify-link", { json: { id, code }, headers: { "x-csrf-token": await x.csrf() } });
      return { status: r.status, body: r.body, signedIn: await signedInAs(x) };
    };
    const forged = await verifyLink(flow);
    assert.equal(forged.status, 400, forged.body);
    assert.equal(forged.signedIn, null);
    // The control: the link's own code, with the same id, signs in.
    const real = await verifyLink(link.searchParams.get("code")!);
    assert.equal(real.status, 200, real.body);
    assert.equal(real.signedIn, "magic-target@example.com");
  });

  it("the flow cookie's value is no reset or confirmation token, no session cookie and no auth token", async () => {
    const c = w.app.client();
    await startAt(c, "okta");
    const [, flow] = flowCookieOf(c);
    const json = async (path: string, body: Record<string, string>) => {
      const x = w.app.client();
      const r = await x.post(path, { json: body, headers: { "x-csrf-token": await x.csrf() } });
      assert.equal(await signedInAs(x), null);
      return r;
    };
    const newPassword = "a brand new passphrase 42";
    const reset = await json(`/reset/${flow}`, { password: newPassword, password_confirm: newPassword });
    assert.equal(reset.status, 400, reset.body);
    assert.equal((await w.app.client().login("holder@example.com", PASSWORD)).status, 200, "password unchanged");
    // A confirmation link is a browser's: refused back to /confirm (its message), nobody confirmed or signed in.
    const confirm = await json(`/confirm/${flow}`, {});
    assert.ok([302, 400].includes(confirm.status), `${confirm.status} ${confirm.body}`);
    if (confirm.status === 302) assert.equal(confirm.location, "/confirm");
    const resetPage = await w.app.client().get(`/reset/${flow}`);
    assert.ok(resetPage.status < 500, resetPage.body);
    assert.doesNotMatch(resetPage.body, /name="password_confirm"/, "no reset form for it");

    const asSession = browserWith(w, [[w.app.rampart.config.session.cookieName, flow]]);
    assert.equal(await signedInAs(asSession), null);
    const tokenHeaders: Record<string, string>[] = [
      { authorization: `Bearer ${flow}` },
      { "authentication-token": flow },
    ];
    for (const headers of tokenHeaders) {
      const r = await w.app.client().get("/api/protected", { acceptJson: true, headers });
      assert.equal(r.status, 401, r.body);
    }
  });

  it("a reset or confirmation token, or an auth token, in the flow cookie's place is refused (flow invalid)", async () => {
    const tokens = [await resetToken("holder@example.com"), await confirmToken("new-person@example.com")];
    const authed = w.app.client();
    const login = await authed.post("/login?include_auth_token", {
      json: { email: "holder@example.com", password: PASSWORD },
      headers: { "x-csrf-token": await authed.csrf() },
    });
    assert.equal(login.status, 200, login.body);
    tokens.push(login.json.response.user.authentication_token as string);
    // A magic link (unified sign-in by email): its code, and its whole query, in the flow cookie's place.
    const magic = new URL(await magicLink("magic@example.com"));
    tokens.push(magic.searchParams.get("code")!, magic.search.slice(1));
    for (const token of tokens) {
      assert.ok(token && token.length >= 6, token);
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      const [name] = flowCookieOf(c);
      c.jar.set(name, token);
      await expectRefused(w, c, () => c.get(path), { text: flowExpired("Okta"), reason: "flow_invalid" });
    }
  });
});
