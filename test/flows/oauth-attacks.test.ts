import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../helpers/app.js";
import { APP, startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { atCallback, link, signedInAs } from "../helpers/oauth-flows.js";
import {
  HANDSHAKE,
  PASSWORD,
  backFrom,
  browserWith,
  expectRefused,
  flowCookieOf,
  flowExpired,
  startAt,
  withParams,
} from "../helpers/oauth-attack-kit.js";

/**
 * The attacker's tests of social sign-in, part one: the protocol. Through the real start and callback routes,
 * against a real OpenID Connect provider (oidc-provider) and a GitHub-speaking server on loopback, each tampered
 * state, code, PKCE value, nonce, id_token or `iss` is refused with a redirect to the sign-in page and its
 * message, no session, nothing linked, and an oauth_failed audit row. The state and replay cases run on every
 * dialect; the rest on SQLite.
 */

/** A confirmed account with an okta identity linked, the provider set to sign in as it. */
async function linkedOkta(w: OauthWorld, email: string, sub: string): Promise<void> {
  await w.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
  await link(w, email, "okta", sub);
  w.idp.setAccount({ sub, email, email_verified: true });
}

for (const dialect of flowDialects()) {
  describe(`social sign-in attacks: the state is this browser's, this provider's, and spent once (${dialect})`, () => {
    let w: OauthWorld;
    before(async () => {
      w = await startOauthWorld({ dialect, config: { returnGenericResponses: false } });
      await linkedOkta(w, "state@example.com", "okta-state");
    });
    after(async () => w?.close());

    it("the flow cookie: __Host-, HttpOnly, Secure, SameSite=Lax, bounded by RAMPART_OAUTH_STATE_WITHIN", async () => {
      const c = w.app.client();
      const csrf = await c.csrf();
      const start = await c.post("/login/oauthstart/okta", { form: { csrf_token: csrf } });
      const cookie = start.setCookies.find((x) => x.includes("rampart_oauth="));
      assert.ok(cookie, start.setCookies.join(" | "));
      assert.match(cookie, /^__Host-rampart_oauth=/);
      for (const attr of [/;\s*HttpOnly/i, /;\s*Secure/i, /;\s*SameSite=Lax/i, /;\s*Path=\//i, /;\s*Max-Age=600\b/i])
        assert.match(cookie, attr);
      assert.doesNotMatch(cookie, /;\s*Domain=/i);
    });

    it("no state, a wrong state: refused", async () => {
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      await expectRefused(w, c, () => c.get(withParams(path, { state: undefined })), {
        text: flowExpired("Okta"),
        reason: "flow_invalid",
      });
      const d = w.app.client();
      const other = await atCallback(d, "okta");
      await expectRefused(w, d, () => d.get(withParams(other, { state: "A".repeat(43) })), {
        text: flowExpired("Okta"),
        reason: "flow_invalid",
      });
    });

    it("a replayed callback: the same URL again, and again from a copy of the flow cookie, is refused", async () => {
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      const stolen = flowCookieOf(c);
      const first = await c.get(path);
      assert.equal(first.location, "/", first.body);
      assert.equal(await signedInAs(c), "state@example.com");
      // The same browser, the same URL: its flow cookie is gone.
      const again = w.app.client();
      for (const [k, v] of c.jar) if (!k.includes("session")) again.jar.set(k, v);
      await expectRefused(w, again, () => again.get(path), { text: flowExpired("Okta"), reason: "flow_missing" });
      // Another browser with a copy of the cookie taken before the callback: the state was spent.
      const thief = browserWith(w, [stolen]);
      await expectRefused(w, thief, () => thief.get(path), { text: flowExpired("Okta"), reason: "flow_replayed" });
    });

    it("okta's callback (state and code) presented at google's return route is refused", async () => {
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      const atGoogle = path.replace("/login/oauthresponse/okta", "/login/oauthresponse/google");
      await expectRefused(w, c, () => c.get(atGoogle), { text: flowExpired("Google"), reason: "flow_invalid" });
    });

    it("16 parallel callbacks with the same state and cookie: exactly one signs in, the others are refused", async () => {
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      const copies = Array.from({ length: 16 }, () => browserWith(w, [...c.jar]));
      const answers = await Promise.all(copies.map((b) => b.get(path)));
      const locations = answers.map((a) => a.location);
      assert.equal(locations.filter((l) => l === "/").length, 1, locations.join(" "));
      assert.equal(locations.filter((l) => l === "/login").length, 15, locations.join(" "));
      const signedIn = (await Promise.all(copies.map((b) => signedInAs(b)))).filter(Boolean);
      assert.deepEqual(signedIn, ["state@example.com"]);
      const failures = await w.app.runtime.datastore.audit.list({ event: "oauth_failed", limit: 15 });
      assert.equal(failures.filter((f) => f.details?.reason === "flow_replayed").length, 15);
    });

    it("a flow started in one browser and completed in another (no flow cookie) is refused", async () => {
      const x = w.app.client();
      const path = await atCallback(x, "okta");
      const y = w.app.client();
      await expectRefused(w, y, () => y.get(path), { text: flowExpired("Okta"), reason: "flow_missing" });
    });
  });
}

describe("social sign-in attacks: the code, PKCE, the nonce, the id_token, the iss parameter", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({ config: { returnGenericResponses: false } });
    await linkedOkta(w, "victim@example.com", "okta-victim");
    await w.app.rampart.api.createUser({ email: "gh@example.com", password: PASSWORD, confirmed: true });
    await link(w, "gh@example.com", "github", "5150");
    w.github.setUser({ id: 5150, login: "gh", emails: [{ email: "gh@example.com", primary: true, verified: true }] });
  });
  after(async () => w?.close());
  const handshake = { text: HANDSHAKE, reason: /^handshake:/ };

  it("a code already redeemed, put in another flow's callback, is refused", async () => {
    const c = w.app.client();
    const used = await atCallback(c, "okta");
    assert.equal((await c.get(used)).location, "/");
    const d = w.app.client();
    const mine = await atCallback(d, "okta");
    const code = new URL(used, APP).searchParams.get("code")!;
    await expectRefused(w, d, () => d.get(withParams(mine, { code })), handshake);
  });

  it("a code issued for another client (google's provider) is refused at okta's callback", async () => {
    const g = w.app.client();
    const googleCode = new URL(await atCallback(g, "google"), APP).searchParams.get("code")!;
    const d = w.app.client();
    const mine = await atCallback(d, "okta");
    await expectRefused(w, d, () => d.get(withParams(mine, { code: googleCode })), handshake);
  });

  it("a code issued for another redirect URI (same state, same PKCE challenge) is refused", async () => {
    const c = w.app.client();
    const authorize = await startAt(c, "okta");
    // The attacker re-sends the app's own authorization request with the provider's other registered return.
    authorize.searchParams.set("redirect_uri", `${APP}/login/oauth-verify-response/okta`);
    const back = await backFrom(authorize);
    assert.ok(back.startsWith("/login/oauth-verify-response/okta?"), back);
    const atLogin = back.replace("/login/oauth-verify-response/okta", "/login/oauthresponse/okta");
    await expectRefused(w, c, () => c.get(atLogin), handshake);
  });

  it("every authorization request carried an S256 PKCE challenge (never plain), and every token request a verifier", async () => {
    // A GitHub sign-in too, so each kind of provider has been seen.
    const c = w.app.client();
    assert.equal((await w.signInWith(c, "github")).callback.location, "/");
    const authorizations = [
      ...w.idp.requests.authorize,
      ...w.google.requests.authorize,
      ...w.github.requests.authorize,
    ];
    assert.ok(authorizations.length >= 4, `${authorizations.length} authorization requests`);
    for (const a of authorizations) {
      assert.equal(a.code_challenge_method, "S256");
      assert.match(a.code_challenge ?? "", /^[A-Za-z0-9_-]{43,128}$/);
      assert.ok(a.state && a.state.length >= 43, "a 256-bit state");
    }
    for (const a of [...w.idp.requests.authorize, ...w.google.requests.authorize])
      assert.ok(a.nonce && a.nonce.length >= 43, "a 256-bit nonce");
    const tokens = [...w.idp.requests.token, ...w.google.requests.token, ...w.github.requests.token];
    assert.ok(tokens.length >= 4);
    for (const t of tokens) assert.match(t.code_verifier ?? "", /^[A-Za-z0-9_-]{43,128}$/);
  });

  it("the tamper mechanism alone (claims unchanged, re-signed with the provider's key) still signs in", async () => {
    w.idp.tamperNextIdToken((claims) => claims);
    const c = w.app.client();
    assert.equal((await w.signInWith(c, "okta")).callback.location, "/");
    assert.equal(await signedInAs(c), "victim@example.com");
  });

  type Patch = (claims: Record<string, unknown>) => Record<string, unknown>;
  const now = () => Math.floor(Date.now() / 1000);
  // The reason recorded is openid-client's error code: each case is refused by the check it targets.
  const compared = "handshake:OAUTH_JWT_CLAIM_COMPARISON_FAILED";
  const invalid = "handshake:OAUTH_INVALID_RESPONSE";
  const tampered: [string, Patch, string, { key?: "other" }?][] = [
    ["a wrong nonce", (cl) => ({ ...cl, nonce: "N".repeat(43) }), compared],
    ["no nonce", ({ nonce: _n, ...cl }) => cl, invalid],
    ["another issuer", (cl) => ({ ...cl, iss: "https://evil.example" }), compared],
    ["the audience of another client", (cl) => ({ ...cl, aud: "google-client" }), compared],
    ["an audience list without this client", (cl) => ({ ...cl, aud: ["google-client", "x"] }), compared],
    [
      "an expiry in the past",
      (cl) => ({ ...cl, iat: now() - 3600, exp: now() - 600 }),
      "handshake:OAUTH_JWT_TIMESTAMP_CHECK_FAILED",
    ],
    ["an extra untrusted audience and no azp", (cl) => ({ ...cl, aud: [cl.aud, "google-client"] }), compared],
    ["azp naming another client", (cl) => ({ ...cl, azp: "google-client" }), "handshake:invalid_azp"],
    ["no subject", ({ sub: _s, ...cl }) => cl, invalid],
    // Only the signature differs from the control case above.
    ["a bad signature", (cl) => cl, invalid, { key: "other" }],
  ];
  for (const [what, patch, reason, opts] of tampered) {
    it(`an id_token with ${what} is refused`, async () => {
      w.idp.tamperNextIdToken(patch, opts);
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      await expectRefused(w, c, () => c.get(path), { text: HANDSHAKE, reason });
    });
  }

  it("mix-up at GitHub: a callback carrying okta's iss is refused", async () => {
    const c = w.app.client();
    const path = await atCallback(c, "github");
    await expectRefused(w, c, () => c.get(withParams(path, { iss: w.idp.issuer })), {
      text: HANDSHAKE,
      reason: "handshake:OAUTH_INVALID_RESPONSE",
    });
  });

  it("session fixation: a copy of the browser's cookies from before the callback is not signed in after it", async () => {
    const c = w.app.client();
    await c.get("/login");
    const path = await atCallback(c, "okta");
    const before = [...c.jar];
    assert.equal((await c.get(path)).location, "/");
    assert.equal(await signedInAs(c), "victim@example.com");
    const sessionName = w.app.rampart.config.session.cookieName;
    const old = before.find(([k]) => k === sessionName)?.[1];
    assert.notEqual(c.jar.get(sessionName), old, "a new session id at sign-in");
    const attacker = browserWith(
      w,
      before.filter(([k]) => !/rampart_oauth$/.test(k)),
    );
    assert.equal(await signedInAs(attacker), null);
  });

  it("mix-up: the callback's iss names another provider (or is missing) → refused", async () => {
    const c = w.app.client();
    const path = await atCallback(c, "okta");
    await expectRefused(w, c, () => c.get(withParams(path, { iss: w.google.issuer })), handshake);
    const d = w.app.client();
    const other = await atCallback(d, "okta");
    await expectRefused(w, d, () => d.get(withParams(other, { iss: undefined })), handshake);
  });

  it("junk at the callback (huge or repeated parameters, an unknown provider, POST) is a clear answer, never a 500", async () => {
    const c = w.app.client();
    const path = await atCallback(c, "okta");
    await expectRefused(w, c, () => c.get(withParams(path, { state: "s".repeat(8000) })), {
      text: flowExpired("Okta"),
      reason: "flow_invalid",
    });
    const d = w.app.client();
    const other = await atCallback(d, "okta");
    await expectRefused(w, d, () => d.get(`${other}&state=second&code=second`), {
      text: HANDSHAKE,
      reason: /^handshake:/,
    });
    const e = w.app.client();
    const third = await atCallback(e, "okta");
    await expectRefused(w, e, () => e.get(withParams(third, { code: "c".repeat(20000) })), {
      text: HANDSHAKE,
      reason: /^handshake:/,
    });
    const unknown = await w.app.client().get("/login/oauthresponse/nosuch?state=x&code=y");
    assert.equal(unknown.status, 404, unknown.body);
    const post = await w.app.client().post("/login/oauthresponse/okta", { form: { state: "x", code: "y" } });
    assert.ok(post.status >= 400 && post.status < 500, `${post.status}`);
  });

  // Last in this world: it moves the app's clock.
  it("a flow older than RAMPART_OAUTH_STATE_WITHIN (600 s) is refused as expired", async () => {
    const c = w.app.client();
    const path = await atCallback(c, "okta");
    w.app.advance(601);
    await expectRefused(w, c, () => c.get(path), { text: flowExpired("Okta"), reason: "flow_expired" });
  });
});
