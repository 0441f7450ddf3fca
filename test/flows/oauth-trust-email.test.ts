import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { link, linksOf, signedInAs } from "../helpers/oauth-flows.js";
import { expectRefused, PASSWORD } from "../helpers/oauth-attack-kit.js";

/**
 * Whose "verified email" links a first sign-in to an account (or registers one): Google's and GitHub's, and a
 * generic provider's only when the operator set its `trustEmail`. Here "okta" is declared without it.
 */
describe("social sign-in: a generic provider's verified email is not trusted unless configured", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({
      oktaTrustsEmail: false,
      config: { returnGenericResponses: false, registration: { enabled: true }, oauth: { register: true } } as never,
    });
  });
  after(async () => w?.close());

  const refusal = {
    text: "This Okta identity is not linked to an account. Sign in another way, then link Okta from your account page.",
    reason: "OAUTH_LINK_FROM_ACCOUNT_PAGE",
  };

  it("okta asserts the verified email of a confirmed account: refused, nothing linked", async () => {
    await w.app.rampart.api.createUser({ email: "owner@example.com", password: PASSWORD, confirmed: true });
    w.idp.setAccount({ sub: "okta-owner", email: "owner@example.com", email_verified: true });
    const c = w.app.client();
    await expectRefused(w, c, async () => (await w.signInWith(c, "okta")).callback, refusal);
    assert.deepEqual(await linksOf(w, "owner@example.com"), []);
  });

  it("okta asserts a verified email nobody has, registration on: refused, no account made", async () => {
    w.idp.setAccount({ sub: "okta-newcomer", email: "newcomer@example.com", email_verified: true });
    const c = w.app.client();
    await expectRefused(w, c, async () => (await w.signInWith(c, "okta")).callback, refusal);
    assert.equal(await w.app.runtime.datastore.users.findByEmail("newcomer@example.com"), null);
  });

  it("an okta identity linked from the account page still signs in", async () => {
    await w.app.rampart.api.createUser({ email: "linked@example.com", password: PASSWORD, confirmed: true });
    await link(w, "linked@example.com", "okta", "okta-linked");
    w.idp.setAccount({ sub: "okta-linked", email: "linked@example.com", email_verified: true });
    const c = w.app.client();
    assert.equal((await w.signInWith(c, "okta")).callback.location, "/");
    assert.equal(await signedInAs(c), "linked@example.com");
  });

  it("Google (built in, trusted) links by its verified email", async () => {
    await w.app.rampart.api.createUser({ email: "gmail@example.com", password: PASSWORD, confirmed: true });
    w.google.setAccount({ sub: "google-gmail", email: "gmail@example.com", email_verified: true });
    const c = w.app.client();
    assert.equal((await w.signInWith(c, "google")).callback.location, "/");
    assert.equal(await signedInAs(c), "gmail@example.com");
    assert.deepEqual(await linksOf(w, "gmail@example.com"), [{ provider: "google", subject: "google-gmail" }]);
  });
});
