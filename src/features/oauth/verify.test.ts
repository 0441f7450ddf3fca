import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import { startOauthWorld, type OauthWorld } from "../../../test/helpers/oauth-world.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { linkedIdentityStore } from "./store.js";

/**
 * Re-authentication with a provider (/login/oauth-verify-start/<name> → the provider →
 * /login/oauth-verify-response/<name>), through the real routes against the loopback providers. Only an identity
 * linked to the signed-in user who started the flow makes the session fresh again: another user's identity, an
 * identity linked to nobody, or a flow started by another account are refused and freshness stays as it was.
 */
const PASSWORD = "correct horse battery";
const WITHIN = 600;

for (const dialect of flowDialects()) {
  describe(`oauth re-authentication (verify) (${dialect})`, () => {
    let world: OauthWorld;
    let n = 0;
    before(async () => {
      world = await startOauthWorld({
        dialect,
        config: { freshness: { withinSeconds: WITHIN, gracePeriodSeconds: 0 } },
      });
    });
    after(() => world.close());

    const store = () => world.app.runtime.datastore.store(linkedIdentityStore);

    /** A signed-in user with a password, optionally with an "okta" identity linked (subject `sub`). */
    async function member(sub: string | null) {
      const email = `verify-${++n}@example.test`;
      const user = await world.app.rampart.api.createUser({ email, password: PASSWORD });
      if (sub)
        await store().link({
          userId: user.id,
          provider: "okta",
          subject: sub,
          issuer: world.idp.issuer,
          email,
          createdAt: new Date(),
        });
      const c = world.app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);
      return { email, user, c };
    }

    /** A fresh-only endpoint: 400 (no such identity) when fresh, 401 reauth_required when stale. */
    async function freshProbe(c: TestClient) {
      const csrf = await c.csrf();
      return c.post("/oauth-accounts/unlink", { json: { id: 0 }, headers: { "x-csrf-token": csrf } });
    }

    async function stale(c: TestClient) {
      world.app.advance(WITHIN + 60);
      const r = await freshProbe(c);
      assert.equal(r.status, 401, r.body);
      assert.equal(r.json.response.reauth_required, true);
      return r;
    }

    it("with the user's own linked identity: fresh again, redirected with the success message", async () => {
      const { email, user, c } = await member(`own-${n + 1}`);
      world.idp.setAccount({ sub: `own-${n}`, email, email_verified: true, amr: ["mfa"] });
      await stale(c);
      const { start, callback } = await world.signInWith(c, "okta", { route: "verify", next: "/after-verify" });
      assert.equal(start.status, 302, start.body);
      assert.equal(callback.status, 302, callback.body);
      assert.equal(callback.location, "/after-verify");
      assert.equal((await freshProbe(c)).status, 400);
      // The flash on the next page.
      const page = await c.get("/oauth-accounts");
      assert.match(page.body, /Reauthentication successful/i);
      const [identity] = await store().listForUser(user.id);
      assert.ok(identity?.lastUsedAt, "the identity's last use is recorded");
      const audits = await world.app.runtime.datastore.audit.list({ userId: user.id, event: "verify" });
      assert.equal(audits.at(-1)?.details?.via, "oauth");
    });

    it("JSON start answers {location}; the return without next goes to POST_LOGIN_VIEW", async () => {
      const { email, c } = await member(`json-${n + 1}`);
      world.idp.setAccount({ sub: `json-${n}`, email, email_verified: true });
      await stale(c);
      const { start, callback } = await world.signInWith(c, "okta", { route: "verify", json: true });
      assert.equal(start.status, 200, start.body);
      assert.match(start.json.response.location, /^http:\/\/127\.0\.0\.1/);
      assert.equal(callback.location, "/");
      assert.equal((await freshProbe(c)).status, 400);
    });

    it("with another user's linked identity: refused, freshness unchanged", async () => {
      const other = await member(`theirs-${n + 1}`);
      const { c } = await member(null);
      world.idp.setAccount({ sub: `theirs-${n - 1}`, email: other.email, email_verified: true });
      await stale(c);
      const { callback } = await world.signInWith(c, "okta", { route: "verify" });
      assert.equal(callback.status, 302);
      assert.equal(callback.location, "/verify");
      assert.equal((await freshProbe(c)).status, 401);
      const page = await c.get("/verify");
      assert.match(page.body, /not linked to your account/);
      // The other user's identity was not used.
      const [theirs] = await store().listForUser(other.user.id);
      assert.equal(theirs?.lastUsedAt, null);
    });

    it("with an identity linked to nobody: refused, freshness unchanged", async () => {
      const { email, c } = await member(`mine-${n + 1}`);
      world.idp.setAccount({ sub: `nobody-${n}`, email, email_verified: true });
      await stale(c);
      const { callback } = await world.signInWith(c, "okta", { route: "verify" });
      assert.equal(callback.location, "/verify");
      assert.equal((await freshProbe(c)).status, 401);
    });

    it("a flow started by user X completed in a session of user Y: refused", async () => {
      const x = await member(`x-${n + 1}`);
      const y = await member(`y-${n + 1}`);
      world.idp.setAccount({ sub: `x-${n - 1}`, email: x.email, email_verified: true });
      await stale(y.c);
      // X starts in the browser; the browser's session is then Y's (a switched account), with X's flow cookie.
      const csrf = await x.c.csrf();
      const start = await x.c.post("/login/oauth-verify-start/okta", { form: { csrf_token: csrf } });
      assert.equal(start.status, 302);
      const flowCookie = [...x.c.jar.entries()].find(([k]) => k.includes("rampart_oauth"));
      assert.ok(flowCookie);
      y.c.jar.set(flowCookie[0], flowCookie[1]);
      const { followToRedirectUri } = await import("../../../test/helpers/oidc-idp.js");
      const back = await followToRedirectUri(start.location!, "https://app.test/");
      const callback = await y.c.get(back.pathname + back.search);
      assert.equal(callback.status, 302);
      assert.equal(callback.location, "/verify");
      assert.equal((await freshProbe(y.c)).status, 401);
      const audits = await world.app.runtime.datastore.audit.list({ event: "oauth_failed" });
      assert.ok(audits.some((a) => a.details?.reason === "other_user"));
    });

    it("GitHub: the user's linked GitHub identity re-authenticates", async () => {
      const { email, user, c } = await member(null);
      await store().link({
        userId: user.id,
        provider: "github",
        subject: "777001",
        issuer: world.github.url,
        email,
        createdAt: new Date(),
      });
      world.github.setUser({ id: 777001, login: "octo", emails: [{ email, primary: true, verified: true }] });
      await stale(c);
      const { callback } = await world.signInWith(c, "github", { route: "verify" });
      assert.equal(callback.location, "/");
      assert.equal((await freshProbe(c)).status, 400);
    });

    it("signed out: 401 for API callers, the sign-in page for browsers; an unknown provider is 404", async () => {
      const c = world.app.client();
      const csrf = await c.csrf();
      const json = await c.post("/login/oauth-verify-start/okta", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(json.status, 401);
      const form = await c.post("/login/oauth-verify-start/okta", { form: { csrf_token: csrf } });
      assert.equal(form.status, 302);
      assert.match(form.location ?? "", /^\/login\?next=/);
      const { c: signedIn } = await member(null);
      const token = await signedIn.csrf();
      const unknown = await signedIn.post("/login/oauth-verify-start/nope", {
        json: {},
        headers: { "x-csrf-token": token },
      });
      assert.equal(unknown.status, 404);
    });

    it("a next of another site is refused", async () => {
      const { c } = await member(null);
      const csrf = await c.csrf();
      const r = await c.post("/login/oauth-verify-start/okta?next=https://evil.test/", {
        json: {},
        headers: { "x-csrf-token": csrf },
      });
      assert.equal(r.status, 400);
    });

    it("the reauth answers carry oauth_enabled / oauth_providers; the verify page shows the linked providers' buttons", async () => {
      const { c } = await member(`btn-${n + 1}`);
      const r = await stale(c);
      assert.equal(r.json.response.oauth_enabled, true);
      assert.deepEqual(r.json.response.oauth_providers, ["google", "github", "okta"]);
      const form = await c.get("/verify", { acceptJson: true });
      assert.equal(form.status, 200);
      assert.equal(form.json.response.oauth_enabled, true);
      assert.deepEqual(form.json.response.oauth_providers, ["google", "github", "okta"]);
      const page = await c.get("/verify?next=/x");
      assert.match(page.body, /action="\/login\/oauth-verify-start\/okta\?next=%2Fx"/);
      assert.doesNotMatch(page.body, /oauth-verify-start\/google/);
    });
  });
}

describe("oauth re-authentication without freshness (SECURITY_FRESHNESS < 0)", () => {
  let world: OauthWorld;
  before(async () => {
    world = await startOauthWorld({ config: { freshness: { withinSeconds: -1 } } });
  });
  after(() => world.close());

  it("has no verify routes, as FS; the linked-accounts routes stay", async () => {
    const email = "no-freshness@example.test";
    await world.app.rampart.api.createUser({ email, password: PASSWORD });
    const c = world.app.client();
    assert.equal((await c.login(email, PASSWORD)).status, 200);
    const csrf = await c.csrf();
    const start = await c.post("/login/oauth-verify-start/okta", { json: {}, headers: { "x-csrf-token": csrf } });
    assert.equal(start.status, 404);
    assert.equal((await c.get("/login/oauth-verify-response/okta?state=x&code=y")).status, 404);
    assert.equal((await c.get("/oauth-accounts", { acceptJson: true })).status, 200);
  });
});
