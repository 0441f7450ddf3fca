import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { startOauthWorld, type OauthWorld } from "../../../test/helpers/oauth-world.js";
import { followToRedirectUri } from "../../../test/helpers/oidc-idp.js";
import { linkedIdentityStore } from "./store.js";

/**
 * Linking from the account page: POST /oauth-accounts/link/<name> → the provider → the sign-in callback, which
 * completes flows of purpose "link" for the signed-in user who started them. The provider's email need not match
 * nor be verified (the user proved both sides); an identity linked to another account is refused; the flow is
 * nobody else's; a linked identity then signs in.
 */
const PASSWORD = "correct horse battery";

for (const dialect of flowDialects()) {
  describe(`linking a provider identity from the account page (${dialect})`, () => {
    let world: OauthWorld;
    let n = 0;
    before(async () => {
      world = await startOauthWorld({
        dialect,
        mail: true,
        config: { freshness: { withinSeconds: 600, gracePeriodSeconds: 0 } },
      });
    });
    after(() => world.close());

    const store = () => world.app.runtime.datastore.store(linkedIdentityStore);

    async function member() {
      const email = `link-${++n}@example.test`;
      const user = await world.app.rampart.api.createUser({ email, password: PASSWORD });
      const c = world.app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);
      return { email, user, c };
    }
    const whoAmI = async (c: TestClient) => {
      const r = await c.get("/verify", { acceptJson: true });
      return r.status === 200 ? (r.json.response.user.email as string) : null;
    };
    async function signOut(c: TestClient) {
      const csrf = await c.csrf();
      await c.post("/logout", { json: {}, headers: { "x-csrf-token": csrf } });
    }

    it("links the identity (another, unverified email is fine), mails the owner, and it then signs in", async () => {
      const { email, user, c } = await member();
      world.app.sink.clear();
      const sub = `link-sub-${n}`;
      world.idp.setAccount({ sub, email: "someone-else@idp.test", email_verified: false });
      const { start, callback } = await world.signInWith(c, "okta", { route: "link" });
      assert.equal(start.status, 302, start.body);
      assert.equal(callback.status, 302, callback.body);
      assert.equal(callback.location, "/oauth-accounts");
      const page = await c.get("/oauth-accounts");
      assert.match(page.body, /Okta is now linked to your account/);
      const rows = await store().listForUser(user.id);
      assert.deepEqual(
        rows.map((r) => [r.provider, r.subject, r.email]),
        [["okta", sub, "someone-else@idp.test"]],
      );
      const audits = await world.app.runtime.datastore.audit.list({ userId: user.id, event: "oauth_linked" });
      assert.equal(audits.length, 1);
      const mail = await world.app.sink.waitFor((m) => m.to.toLowerCase().includes(email));
      assert.equal(mail.subject, "A sign-in method was added to your account");

      // Linking it again (already this user's): fine, nothing new.
      const again = await world.signInWith(c, "okta", { route: "link" });
      assert.equal(again.callback.location, "/oauth-accounts");
      assert.equal((await store().listForUser(user.id)).length, 1);

      // Signed out, the linked identity signs this user in.
      await signOut(c);
      assert.equal(await whoAmI(c), null);
      const signin = await world.signInWith(c, "okta");
      assert.equal(signin.callback.status, 302, signin.callback.body);
      assert.equal(await whoAmI(c), email);
    });

    it("GitHub links by its numeric id", async () => {
      const { user, c } = await member();
      world.github.setUser({ id: 424242, login: "linker", emails: [] });
      const { callback } = await world.signInWith(c, "github", { route: "link" });
      assert.equal(callback.location, "/oauth-accounts");
      const [row] = await store().listForUser(user.id);
      assert.equal(row?.subject, "424242");
    });

    it("an identity linked to another account is refused; neither account changes", async () => {
      const owner = await member();
      const sub = `taken-${n}`;
      world.idp.setAccount({ sub, email: owner.email, email_verified: true });
      assert.equal((await world.signInWith(owner.c, "okta", { route: "link" })).callback.location, "/oauth-accounts");
      const { user, c } = await member();
      const { callback } = await world.signInWith(c, "okta", { route: "link" });
      assert.equal(callback.location, "/oauth-accounts");
      assert.match((await c.get("/oauth-accounts")).body, /already linked to another account/);
      assert.equal((await store().listForUser(user.id)).length, 0);
      assert.equal((await store().find("okta", sub))?.userId, owner.user.id);
    });

    it("a link flow started by X and completed in Y's session, or after signing out, links nothing", async () => {
      const x = await member();
      const y = await member();
      world.idp.setAccount({ sub: `switch-${n}`, email: x.email, email_verified: true });
      const csrf = await x.c.csrf();
      const start = await x.c.post("/oauth-accounts/link/okta", { form: { csrf_token: csrf } });
      assert.equal(start.status, 302);
      const flow = [...x.c.jar.entries()].find(([k]) => k.includes("rampart_oauth"))!;
      y.c.jar.set(flow[0], flow[1]);
      const back = await followToRedirectUri(start.location!, "https://app.test/");
      const callback = await y.c.get(back.pathname + back.search);
      assert.equal(callback.status, 302);
      assert.equal(callback.location, "/oauth-accounts");
      assert.equal(await store().find("okta", `switch-${n}`), null);

      // Signed out between the start and the return.
      const started = await x.c.post("/oauth-accounts/link/okta", { form: { csrf_token: await x.c.csrf() } });
      await signOut(x.c);
      const back2 = await followToRedirectUri(started.location!, "https://app.test/");
      const r = await x.c.get(back2.pathname + back2.search);
      assert.equal(r.status, 302);
      assert.equal(await store().find("okta", `switch-${n}`), null);
      assert.equal(await whoAmI(x.c), null);
    });

    it("a flow started by the link route cannot finish at the verify return", async () => {
      const { c } = await member();
      world.idp.setAccount({ sub: `cross-${n}`, email: "x@idp.test", email_verified: true });
      const start = await c.post("/oauth-accounts/link/okta", { form: { csrf_token: await c.csrf() } });
      const back = await followToRedirectUri(start.location!, "https://app.test/");
      // Redirected to the sign-in return (the link's); presented at the verify return instead.
      const r = await c.get(`/login/oauth-verify-response/okta${back.search}`);
      assert.equal(r.status, 302);
      assert.equal(await store().find("okta", `cross-${n}`), null);
    });
  });
}
