import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startOauthWorld, type OauthWorld } from "../../../test/helpers/oauth-world.js";
import { linkedIdentityStore } from "./store.js";

/**
 * The app's hooks on the account flows: before.oauth_verify / oauth_link / oauth_unlink veto (nothing changes: no
 * fresh session, no link, no unlink) and the after hooks see each completed action.
 */
const PASSWORD = "correct horse battery";
const WITHIN = 600;

describe("oauth verify, link and unlink run the app's hooks", () => {
  let world: OauthWorld;
  let n = 0;
  const afters: string[] = [];
  before(async () => {
    world = await startOauthWorld({ config: { freshness: { withinSeconds: WITHIN, gracePeriodSeconds: 0 } } });
    const held = (h: { user: { email: string } | null }) =>
      h.user?.email.startsWith("held.") ? { message: "Not today.", code: "HELD", status: 403 } : undefined;
    const hooks = world.app.runtime.hooks as { before?: Record<string, unknown>; after?: Record<string, unknown> };
    hooks.before = { ...hooks.before, oauth_verify: held, oauth_link: held, oauth_unlink: held };
    const note = (action: string) => (h: { user: { email: string } | null }) =>
      void afters.push(`${action} ${h.user?.email}`);
    hooks.after = {
      ...hooks.after,
      oauth_verify: note("verify"),
      oauth_link: note("link"),
      oauth_unlink: note("unlink"),
    };
  });
  after(() => world.close());

  const store = () => world.app.runtime.datastore.store(linkedIdentityStore);

  async function member(prefix: string) {
    const email = `${prefix}.${++n}@example.test`;
    const user = await world.app.rampart.api.createUser({ email, password: PASSWORD });
    const c = world.app.client();
    assert.equal((await c.login(email, PASSWORD)).status, 200);
    return { email, user, c };
  }

  for (const prefix of ["held", "free"]) {
    it(`${prefix}: link, re-authenticate, unlink`, async () => {
      afters.length = 0;
      const { email, user, c } = await member(prefix);
      const sub = `hooked-${n}`;
      world.idp.setAccount({ sub, email, email_verified: true });
      const link = await world.signInWith(c, "okta", { route: "link" });
      assert.equal(link.callback.location, "/oauth-accounts");
      const linked = await store().listForUser(user.id);
      assert.equal(linked.length, prefix === "held" ? 0 : 1);
      if (prefix === "held") {
        assert.match((await c.get("/oauth-accounts")).body, /Not today\./);
        // Linked directly, to try the other two.
        await store().link({
          userId: user.id,
          provider: "okta",
          subject: sub,
          issuer: world.idp.issuer,
          email,
          createdAt: new Date(),
        });
      }
      world.app.advance(WITHIN + 60);
      const verify = await world.signInWith(c, "okta", { route: "verify" });
      assert.equal(verify.callback.location, prefix === "held" ? "/verify" : "/");
      const [row] = await store().listForUser(user.id);
      const csrf = await c.csrf();
      const unlink = await c.post("/oauth-accounts/unlink", {
        json: { id: row!.id },
        headers: { "x-csrf-token": csrf },
      });
      if (prefix === "held") {
        assert.equal(unlink.status, 401, "still stale: the verify was vetoed");
        assert.deepEqual(afters, []);
      } else {
        assert.equal(unlink.status, 200, unlink.body);
        assert.deepEqual(afters, [`link ${email}`, `verify ${email}`, `unlink ${email}`]);
      }
    });
  }

  it("held: a fresh session's unlink is vetoed (JSON 403; the page's form: back with the message)", async () => {
    const { email, user, c } = await member("held");
    const row = await store().link({
      userId: user.id,
      provider: "okta",
      subject: `held-unlink-${n}`,
      issuer: world.idp.issuer,
      email,
      createdAt: new Date(),
    });
    assert.notEqual(row, "in-use");
    const id = row === "in-use" ? 0 : row.id;
    const csrf = await c.csrf();
    const json = await c.post("/oauth-accounts/unlink", { json: { id }, headers: { "x-csrf-token": csrf } });
    assert.equal(json.status, 403, json.body);
    const form = await c.post("/oauth-accounts/unlink", { form: { csrf_token: csrf, id: String(id) } });
    assert.equal(form.location, "/oauth-accounts");
    assert.match((await c.get("/oauth-accounts")).body, /Not today\./);
    assert.equal((await store().listForUser(user.id)).length, 1);
  });
});
