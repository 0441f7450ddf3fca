import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startOauthWorld, APP, type OauthWorld } from "../helpers/oauth-world.js";
import { atCallback, signedInAs } from "../helpers/oauth-flows.js";

/**
 * The token request's redirect_uri is the one the authorization request named (RAMPART_BASE_URL's), whatever
 * scheme and Host the callback reached the app with: behind a TLS-terminating proxy the app sees http://…, and a
 * Host header is whatever the client sent.
 */
describe("social sign-in: the redirect_uri sent to the provider comes from RAMPART_BASE_URL", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld();
  });
  after(async () => w?.close());

  const cases: [string, string][] = [
    ["reached as plain http (a TLS-terminating proxy in front)", "http://app.test"],
    ["reached with a forged Host", "https://evil.example"],
  ];
  for (const [title, origin] of cases) {
    it(`the callback ${title}: the provider gets https://app.test/…, and the user is signed in`, async () => {
      const email = `proxied-${w.idp.requests.token.length}@example.com`;
      await w.app.rampart.api.createUser({ email, password: "correct horse battery", confirmed: true });
      w.idp.setAccount({ sub: `okta-${email}`, email, email_verified: true });
      const c = w.app.client();
      const path = await atCallback(c, "okta");
      const tokens = w.idp.requests.token.length;
      const callback = await c.get(`${origin}${path}`);
      assert.equal(w.idp.requests.token.length, tokens + 1, "one token request");
      assert.equal(w.idp.requests.token.at(-1)!.redirect_uri, `${APP}/login/oauthresponse/okta`);
      assert.equal(callback.status, 302, callback.body);
      assert.equal(callback.location, "/");
      assert.equal(await signedInAs(c), email);
    });
  }

  it("the same for GitHub (OAuth 2.0): the token request names https://app.test/…, and the user is signed in", async () => {
    await w.app.rampart.api.createUser({
      email: "octo-proxied@example.com",
      password: "x".repeat(20),
      confirmed: true,
    });
    w.github.setUser({
      id: 9090,
      login: "octo-proxied",
      emails: [{ email: "octo-proxied@example.com", primary: true, verified: true }],
    });
    const c = w.app.client();
    const path = await atCallback(c, "github");
    const callback = await c.get(`http://app.test${path}`);
    assert.equal(w.github.requests.token.at(-1)!.redirect_uri, `${APP}/login/oauthresponse/github`);
    assert.equal(callback.location, "/", callback.body);
    assert.equal(await signedInAs(c), "octo-proxied@example.com");
  });
});
