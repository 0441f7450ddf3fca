import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { IdpAccount } from "../helpers/oidc-idp.js";
import { APP, startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { atCallback, link, linksOf, signedInAs } from "../helpers/oauth-flows.js";
import { linksIn } from "../helpers/smtp-sink.js";
import {
  PASSWORD,
  backFrom,
  browserWith,
  expectRefused,
  flowCookieOf,
  flowExpired,
  startAt,
} from "../helpers/oauth-attack-kit.js";

/**
 * The attacker's tests of social sign-in, part two: accounts and everything around the protocol. Unverified
 * emails, identities of two providers with one email or one subject, the flow cookie and Rampart's other tokens
 * in each other's places, a provider down or slow, provider errors carrying markup, a forged Host, parallel first
 * sign-ins, `next` as an open redirect, and a squatted account waiting for its owner. SQLite.
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
    for (const token of tokens) {
      assert.ok(token && token.length > 20, token);
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      const [name] = flowCookieOf(c);
      c.jar.set(name, token);
      await expectRefused(w, c, () => c.get(path), { text: flowExpired("Okta"), reason: "flow_invalid" });
    }
  });
});

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
