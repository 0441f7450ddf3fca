import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { link, linksOf, signedInAs } from "../helpers/oauth-flows.js";
import { escapeHtml, PASSWORD } from "../helpers/oauth-attack-kit.js";
import type { TestClient, Reply } from "../helpers/client.js";
import { linkedIdentityStore } from "../../src/features/oauth/store.js";

/**
 * A social sign-in that is refused writes nothing: not the identity's last use, not a link by verified email
 * (nor its audit row and event). Whatever can refuse — the account's lockout, the app's before-hook, the
 * pipeline's checks (a deactivated account) — is asked before any of it.
 */
describe("social sign-in: nothing written before the sign-in is allowed", () => {
  let w: OauthWorld;
  let n = 0;
  before(async () => {
    w = await startOauthWorld({ config: { returnGenericResponses: false } });
    const hooks = w.app.runtime.hooks as { before?: Record<string, unknown> };
    hooks.before = {
      ...hooks.before,
      oauth_signin: (h: { user: { email: string } | null }) =>
        h.user?.email.startsWith("held.") ? { message: "Not today.", code: "HELD", status: 403 } : undefined,
    };
  });
  after(async () => w?.close());

  async function refused(c: TestClient, callback: Reply, text: string): Promise<void> {
    assert.equal(callback.status, 302, callback.body);
    assert.equal(callback.location, "/login");
    assert.ok((await c.get("/login")).body.includes(escapeHtml(text)), `the sign-in page shows "${text}"`);
    assert.equal(await signedInAs(c), null, "nobody signed in");
  }

  async function lastUsed(email: string): Promise<(Date | null)[]> {
    const user = await w.app.runtime.datastore.users.findByEmail(email);
    return (await w.app.runtime.datastore.store(linkedIdentityStore).listForUser(user!.id)).map((r) => r.lastUsedAt);
  }

  async function linkedAccount(prefix: string): Promise<{ email: string; sub: string }> {
    const email = `${prefix}.${++n}@example.com`;
    const sub = `okta-${prefix}-${n}`;
    await w.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
    await link(w, email, "okta", sub);
    w.idp.setAccount({ sub, email, email_verified: true });
    return { email, sub };
  }

  it("a deactivated confirmed account asserted by verified email: refused, no link, no oauth_linked row", async () => {
    const email = `off.${++n}@example.com`;
    const user = await w.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
    await w.app.rampart.api.deactivateUser(user);
    w.idp.setAccount({ sub: `okta-off-${n}`, email, email_verified: true });
    for (let i = 0; i < 2; i++) {
      const c = w.app.client();
      await refused(c, (await w.signInWith(c, "okta")).callback, "Account is disabled.");
    }
    assert.deepEqual(await linksOf(w, email), []);
    assert.deepEqual(await w.app.runtime.datastore.audit.list({ event: "oauth_linked", userId: user.id }), []);
  });

  it("a linked, deactivated account: refused twice, its identity's last use never recorded", async () => {
    const { email } = await linkedAccount("gone");
    await w.app.rampart.api.deactivateUser((await w.app.rampart.api.findUser(email))!);
    for (let i = 0; i < 2; i++) {
      const c = w.app.client();
      await refused(c, (await w.signInWith(c, "okta")).callback, "Account is disabled.");
    }
    assert.deepEqual(await lastUsed(email), [null]);
  });

  it("a linked account whose lockout is closed: refused, last use not recorded", async () => {
    const { email } = await linkedAccount("locked");
    const attacker = w.app.client();
    for (let i = 0; i < 5; i++) await attacker.login(email, `wrong password ${i}`);
    const c = w.app.client();
    await refused(c, (await w.signInWith(c, "okta")).callback, "Too many failed attempts. Try again later.");
    assert.deepEqual(await lastUsed(email), [null]);
  });

  it("a linked account the app's before-hook vetoes: refused, last use not recorded", async () => {
    const { email } = await linkedAccount("held");
    const c = w.app.client();
    await refused(c, (await w.signInWith(c, "okta")).callback, "Not today.");
    assert.deepEqual(await lastUsed(email), [null]);
  });

  it("the control: a linked account that signs in gets its last use recorded", async () => {
    const { email } = await linkedAccount("free");
    const c = w.app.client();
    assert.equal((await w.signInWith(c, "okta")).callback.location, "/");
    assert.equal(await signedInAs(c), email);
    const [used] = await lastUsed(email);
    assert.ok(used instanceof Date);
  });
});
