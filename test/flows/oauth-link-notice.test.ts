import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { linksOf, signedInAs } from "../helpers/oauth-flows.js";
import { PASSWORD } from "../helpers/oauth-attack-kit.js";

/**
 * A first sign-in that links a provider identity onto an existing account by its verified email adds a way in
 * the owner did not add: the owner gets the same notice the account page's link sends. Later sign-ins with the
 * linked identity send none.
 */
describe("social sign-in: a link by verified email is announced to the account's owner", () => {
  let w: OauthWorld;
  before(async () => {
    w = await startOauthWorld({ mail: true });
  });
  after(async () => w?.close());

  it("the owner is mailed 'A sign-in method was added to your account' naming the provider; once", async () => {
    const email = "noticed@example.com";
    await w.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
    w.app.sink.clear();
    w.idp.setAccount({ sub: "okta-noticed", email, email_verified: true, name: "Noticed" });
    const c = w.app.client();
    assert.equal((await w.signInWith(c, "okta")).callback.location, "/");
    assert.equal(await signedInAs(c), email);
    assert.deepEqual(await linksOf(w, email), [{ provider: "okta", subject: "okta-noticed" }]);
    const mail = await w.app.sink.waitFor((m) => m.to.toLowerCase().includes(email), 3000);
    assert.equal(mail.subject, "A sign-in method was added to your account");
    assert.match(mail.text, /Your Okta account \(noticed@example\.com\) was linked/);

    // Signing in again with the linked identity adds nothing: no second notice.
    const d = w.app.client();
    assert.equal((await w.signInWith(d, "okta")).callback.location, "/");
    assert.equal(w.app.sink.messages.filter((m) => m.to.toLowerCase().includes(email)).length, 1);
  });
});
