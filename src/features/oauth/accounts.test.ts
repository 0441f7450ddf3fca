import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { flowDialects } from "../../../test/helpers/app.js";
import type { TestClient } from "../../../test/helpers/client.js";
import { startOauthWorld, type OauthWorld } from "../../../test/helpers/oauth-world.js";
import { linkedIdentityStore } from "./store.js";

/**
 * The linked-accounts API and page: GET /oauth-accounts lists the caller's identities and the providers;
 * POST /oauth-accounts/link/<name> (fresh) starts a link; POST /oauth-accounts/unlink {id} (fresh) removes one
 * of the caller's own identities — never another user's (answered as unknown), never the last way into a
 * password-less account (also when two unlinks race). JSON and HTML forms both; the owner is mailed a notice.
 */
const PASSWORD = "correct horse battery";
const WITHIN = 600;

for (const dialect of flowDialects()) {
  describe(`linked accounts /oauth-accounts (${dialect})`, () => {
    let world: OauthWorld;
    let n = 0;
    before(async () => {
      world = await startOauthWorld({
        dialect,
        mail: true,
        config: { freshness: { withinSeconds: WITHIN, gracePeriodSeconds: 0 } },
      });
    });
    after(() => world.close());

    const store = () => world.app.runtime.datastore.store(linkedIdentityStore);

    /** A signed-in user with identities linked directly in the table (okta subjects). */
    async function member(subs: string[], options: { password?: boolean } = {}) {
      const email = `accounts-${++n}.${dialect}@example.test`;
      const user = await world.app.rampart.api.createUser({ email, password: PASSWORD });
      const ids: number[] = [];
      for (const sub of subs) {
        const linked = await store().link({
          userId: user.id,
          provider: "okta",
          subject: `${sub}-${n}-${dialect}`,
          issuer: world.idp.issuer,
          email: `${sub}@idp.test`,
          createdAt: new Date(),
        });
        assert.notEqual(linked, "in-use");
        if (linked !== "in-use") ids.push(linked.id);
      }
      const c = world.app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);
      // A password-less account (signed up through a provider): the session stays, the password goes.
      if (options.password === false) await world.app.runtime.datastore.users.update(user.id, { password: null });
      return { email, user, c, ids };
    }

    async function unlinkJson(c: TestClient, id: unknown) {
      const csrf = await c.csrf();
      return c.post("/oauth-accounts/unlink", { json: { id }, headers: { "x-csrf-token": csrf } });
    }
    async function unlinkForm(c: TestClient, id: string) {
      const csrf = await c.csrf();
      return c.post("/oauth-accounts/unlink", { form: { csrf_token: csrf, id } });
    }
    const subjectsOf = async (userId: number) => (await store().listForUser(userId)).map((i) => i.subject);

    it("lists the caller's identities and the providers (JSON), and the page with unlink and link buttons", async () => {
      const { c, ids } = await member(["one", "two"]);
      const r = await c.get("/oauth-accounts", { acceptJson: true });
      assert.equal(r.status, 200, r.body);
      const { identities, providers, csrf_token } = r.json.response;
      assert.ok(csrf_token);
      assert.deepEqual(
        identities.map((i: Record<string, unknown>) => [i.id, i.provider, i.label, i.email]),
        [
          [ids[0], "okta", "Okta", "one@idp.test"],
          [ids[1], "okta", "Okta", "two@idp.test"],
        ],
      );
      assert.match(identities[0].created_at, /^\d{4}-\d\d-\d\dT/);
      assert.equal(identities[0].last_used_at, null);
      assert.equal("subject" in identities[0], false);
      assert.deepEqual(providers, [
        { name: "google", label: "Google", linked: false },
        { name: "github", label: "GitHub", linked: false },
        { name: "okta", label: "Okta", linked: true },
      ]);
      const page = await c.get("/oauth-accounts");
      assert.equal(page.status, 200);
      assert.match(page.body, new RegExp(`id="oauth-unlink-${ids[0]}"`));
      assert.match(page.body, /one@idp\.test/);
      for (const name of ["google", "github", "okta"])
        assert.match(page.body, new RegExp(`action="/oauth-accounts/link/${name}"`));
    });

    it("signed out: 401 for API callers, the sign-in page for browsers", async () => {
      const c = world.app.client();
      assert.equal((await c.get("/oauth-accounts", { acceptJson: true })).status, 401);
      const page = await c.get("/oauth-accounts");
      assert.equal(page.status, 302);
      assert.match(page.location ?? "", /^\/login\?next=%2Foauth-accounts/);
      const csrf = await c.csrf();
      assert.equal(
        (await c.post("/oauth-accounts/link/okta", { json: {}, headers: { "x-csrf-token": csrf } })).status,
        401,
      );
      assert.equal((await unlinkJson(c, 1)).status, 401);
    });

    it("link start needs a fresh session: {location} (JSON) or the provider (browser); stale: reauth_required", async () => {
      const { c } = await member([]);
      const csrf = await c.csrf();
      const json = await c.post("/oauth-accounts/link/okta", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(json.status, 200, json.body);
      const location = new URL(json.json.response.location);
      assert.equal(location.searchParams.get("redirect_uri"), "https://app.test/login/oauthresponse/okta");
      const form = await c.post("/oauth-accounts/link/github", { form: { csrf_token: csrf } });
      assert.equal(form.status, 302);
      assert.match(form.location ?? "", /^http:\/\/127\.0\.0\.1:\d+\/login\/oauth\/authorize\?/);
      const unknown = await c.post("/oauth-accounts/link/nope", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(unknown.status, 404);
      world.app.advance(WITHIN + 60);
      const stale = await c.post("/oauth-accounts/link/okta", { json: {}, headers: { "x-csrf-token": csrf } });
      assert.equal(stale.status, 401);
      assert.equal(stale.json.response.reauth_required, true);
      assert.equal(stale.json.response.oauth_enabled, true);
    });

    it("unlinks the caller's own identity (JSON), audits it and mails the owner", async () => {
      const { email, user, c, ids } = await member(["keep", "drop"]);
      world.app.sink.clear();
      const events: string[] = [];
      const off = world.app.rampart.events.on("oauth_unlinked", (e) => void events.push(`${e.user.id} ${e.provider}`));
      const r = await unlinkJson(c, ids[1]);
      off();
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(
        r.json.response.identities.map((i: { id: number }) => i.id),
        [ids[0]],
      );
      assert.deepEqual(await subjectsOf(user.id), [`keep-${n}-${dialect}`]);
      assert.deepEqual(events, [`${user.id} okta`]);
      const audits = await world.app.runtime.datastore.audit.list({ userId: user.id, event: "oauth_unlinked" });
      assert.equal(audits.length, 1);
      const mail = await world.app.sink.waitFor((m) => m.to.toLowerCase().includes(email));
      assert.equal(mail.subject, "A sign-in method was removed from your account");
      assert.match(mail.text, /Okta account \(drop@idp\.test\) was unlinked/);
    });

    it("unlinks by the page's form: back to the page with the message", async () => {
      const { user, c, ids } = await member(["a", "b"]);
      const r = await unlinkForm(c, String(ids[0]));
      assert.equal(r.status, 302, r.body);
      assert.equal(r.location, "/oauth-accounts");
      const page = await c.get("/oauth-accounts");
      assert.match(page.body, /Okta is no longer linked to your account/);
      assert.deepEqual(await subjectsOf(user.id), [`b-${n}-${dialect}`]);
    });

    it("another user's identity id is 'not found', as an unknown one; nothing is removed", async () => {
      const other = await member(["theirs"]);
      const { c } = await member(["mine"]);
      for (const id of [other.ids[0], 999999, "abc", -1, 0]) {
        const r = await unlinkJson(c, id);
        assert.equal(r.status, 400, r.body);
        assert.equal(r.json.response.errors?.[0] ?? r.json.response.field_errors?.id?.[0], "No such linked identity.");
      }
      const form = await unlinkForm(c, String(other.ids[0]));
      assert.equal(form.status, 302);
      assert.match((await c.get("/oauth-accounts")).body, /No such linked identity/);
      assert.equal((await subjectsOf(other.user.id)).length, 1);
      // An object where the id belongs: the contract's API_ERROR.
      assert.equal((await unlinkJson(c, { id: 1 })).status, 400);
    });

    it("the last way into a password-less account is refused; with a password it goes", async () => {
      const { user, c, ids } = await member(["only"], { password: false });
      const refused = await unlinkJson(c, ids[0]);
      assert.equal(refused.status, 400, refused.body);
      assert.match(JSON.stringify(refused.json.response), /only way to sign in/);
      assert.equal((await subjectsOf(user.id)).length, 1);
      const form = await unlinkForm(c, String(ids[0]));
      assert.equal(form.location, "/oauth-accounts");
      assert.match((await c.get("/oauth-accounts")).body, /only way to sign in/);

      const withPassword = await member(["only"]);
      const r = await unlinkJson(withPassword.c, withPassword.ids[0]);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(await subjectsOf(withPassword.user.id), []);
    });

    it("a password-less account with two identities: one goes, not the other; two racing unlinks leave one", async () => {
      const { user, c, ids } = await member(["x", "y"], { password: false });
      assert.equal((await unlinkJson(c, ids[0])).status, 200);
      assert.equal((await unlinkJson(c, ids[1])).status, 400);
      assert.equal((await subjectsOf(user.id)).length, 1);

      const racing = await member(["p", "q"], { password: false });
      const csrf = await racing.c.csrf();
      const answers = await Promise.all(
        racing.ids.map((id) =>
          racing.c.post("/oauth-accounts/unlink", { json: { id }, headers: { "x-csrf-token": csrf } }),
        ),
      );
      assert.ok(answers.some((a) => a.status === 400));
      assert.ok((await subjectsOf(racing.user.id)).length >= 1, "the account keeps a way in");
    });

    it("a stale session must re-authenticate before unlinking", async () => {
      const { user, c, ids } = await member(["s"]);
      world.app.advance(WITHIN + 60);
      const r = await unlinkJson(c, ids[0]);
      assert.equal(r.status, 401);
      assert.equal(r.json.response.reauth_required, true);
      assert.deepEqual(r.json.response.oauth_providers, ["google", "github", "okta"]);
      const form = await unlinkForm(c, String(ids[0]));
      assert.equal(form.status, 302);
      assert.match(form.location ?? "", /^\/verify\?next=/);
      assert.equal((await subjectsOf(user.id)).length, 1);
    });
  });
}
