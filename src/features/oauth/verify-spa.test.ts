import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TestClient } from "../../../test/helpers/client.js";
import { startOauthWorld, type OauthWorld } from "../../../test/helpers/oauth-world.js";
import { linkedIdentityStore } from "./store.js";

/**
 * Provider re-authentication and linking in SPA mode (REDIRECT_BEHAVIOR=spa) with unified sign-in and
 * confirmation on: the outcome reaches the UI's views as query parameters (POST_OAUTH_VERIFY_VIEW with email and
 * identity; VERIFY_ERROR_VIEW with the error), /us-verify carries oauth_enabled / oauth_providers, its page shows
 * the flash of a refused re-authentication, and no notice goes to a never-confirmed address.
 */
const PASSWORD = "correct horse battery staple 42";
const WITHIN = 600;

describe("oauth verify and link in SPA mode, unified sign-in on", () => {
  let world: OauthWorld;
  let n = 0;
  before(async () => {
    world = await startOauthWorld({
      mail: true,
      config: {
        freshness: { withinSeconds: WITHIN, gracePeriodSeconds: 0 },
        urls: { redirectBehavior: "spa" },
        unifiedSignin: { enabled: true },
        totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
        confirmation: { enabled: true, loginWithoutConfirmation: true },
        oauth: { postOauthVerifyView: "/spa/verified", verifyErrorView: "/spa/verify-error" },
      } as never,
    });
  });
  after(() => world.close());

  const store = () => world.app.runtime.datastore.store(linkedIdentityStore);

  async function member(sub: string, confirmed = true) {
    const email = `spa-${++n}@example.test`;
    const user = await world.app.rampart.api.createUser({ email, password: PASSWORD });
    if (confirmed) await world.app.rampart.api.confirmUser(user);
    await store().link({
      userId: user.id,
      provider: "okta",
      subject: `${sub}-${n}`,
      issuer: world.idp.issuer,
      email,
      createdAt: new Date(),
    });
    const c = world.app.client();
    assert.equal((await c.login(email, PASSWORD)).status, 200);
    return { email, user, c, sub: `${sub}-${n}` };
  }
  async function freshProbe(c: TestClient) {
    const csrf = await c.csrf();
    return c.post("/oauth-accounts/unlink", { json: { id: 0 }, headers: { "x-csrf-token": csrf } });
  }

  it("success: POST_OAUTH_VERIFY_VIEW with email and identity, and the session is fresh", async () => {
    const { email, c, sub } = await member("spa-own");
    world.idp.setAccount({ sub, email, email_verified: true });
    world.app.advance(WITHIN + 60);
    assert.equal((await freshProbe(c)).status, 401);
    const { callback } = await world.signInWith(c, "okta", { route: "verify", json: true });
    const to = new URL(callback.location!, "https://app.test");
    assert.equal(to.pathname, "/spa/verified");
    assert.equal(to.searchParams.get("email"), email);
    assert.equal(to.searchParams.get("identity"), email);
    assert.equal((await freshProbe(c)).status, 400);
  });

  it("refused: VERIFY_ERROR_VIEW with the error; still stale", async () => {
    const { email, c } = await member("spa-mine");
    world.idp.setAccount({ sub: `someone-${n}`, email, email_verified: true });
    world.app.advance(WITHIN + 60);
    const { callback } = await world.signInWith(c, "okta", { route: "verify", json: true });
    const to = new URL(callback.location!, "https://app.test");
    assert.equal(to.pathname, "/spa/verify-error");
    assert.match(to.searchParams.get("error") ?? "", /not linked to your account/);
    assert.equal((await freshProbe(c)).status, 401);
  });

  it("GET /us-verify carries oauth_enabled / oauth_providers; its page has the linked provider's button", async () => {
    const { c } = await member("spa-us");
    const r = await c.get("/us-verify", { acceptJson: true });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.response.oauth_enabled, true);
    assert.deepEqual(r.json.response.oauth_providers, ["google", "github", "okta"]);
    world.app.advance(WITHIN + 60);
    const stale = await freshProbe(c);
    assert.equal(stale.json.response.oauth_enabled, true);
    const page = await c.get("/us-verify");
    assert.match(page.body, /action="\/login\/oauth-verify-start\/okta"/);
  });

  it("a link in SPA mode: the accounts URL with ?success; no notice to a never-confirmed address", async () => {
    const { user, c } = await member("spa-unconfirmed", false);
    world.app.sink.clear();
    world.idp.setAccount({ sub: `spa-link-${n}`, email: "x@idp.test", email_verified: true });
    const { callback } = await world.signInWith(c, "okta", { route: "link", json: true });
    const to = new URL(callback.location!, "https://app.test");
    assert.equal(to.pathname, "/oauth-accounts");
    assert.match(to.searchParams.get("success") ?? "", /Okta is now linked/);
    assert.equal((await store().listForUser(user.id)).length, 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(
      world.app.sink.messages.filter((m) => m.subject === "A sign-in method was added to your account").length,
      0,
    );
  });
});
