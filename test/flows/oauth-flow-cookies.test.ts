import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startOauthWorld, type OauthWorld } from "../helpers/oauth-world.js";
import { atCallback, link, signedInAs } from "../helpers/oauth-flows.js";
import { expectRefused, flowExpired, PASSWORD, withParams } from "../helpers/oauth-attack-kit.js";
import type { TestClient } from "../helpers/client.js";

/**
 * One browser, several provider flows: each started flow keeps its own cookie, found by the state the provider
 * returns. A stray or forged callback (another site navigating the browser to the return route) ends nothing; two
 * tabs signing in with two providers both complete; a browser that starts many keeps only a few.
 */
describe("social sign-in: flows in one browser", () => {
  let w: OauthWorld;
  const EMAIL = "tabs@example.com";
  before(async () => {
    w = await startOauthWorld({ config: { returnGenericResponses: false } });
    await w.app.rampart.api.createUser({ email: EMAIL, password: PASSWORD, confirmed: true });
    await link(w, EMAIL, "okta", "okta-tabs");
    await link(w, EMAIL, "github", "5150");
    w.idp.setAccount({ sub: "okta-tabs", email: EMAIL, email_verified: true });
    w.github.setUser({ id: 5150, login: "tabs", emails: [{ email: EMAIL, primary: true, verified: true }] });
  });
  after(async () => w?.close());

  // (The single cookie of before, rampart_oauth, counted too.)
  const flowCookies = (c: TestClient) => [...c.jar.keys()].filter((k) => /rampart_oauth(_[0-9a-f]{16})?$/.test(k));

  it("stray callbacks (a wrong state, no state, the state at another provider's route) leave the flow alive", async () => {
    const c = w.app.client();
    const path = await atCallback(c, "okta");
    const stray = [
      withParams(path, { state: "A".repeat(43) }),
      withParams(path, { state: undefined }),
      path.replace("/login/oauthresponse/okta", "/login/oauthresponse/google"),
    ];
    for (const p of stray) {
      const label = p.includes("/google") ? "Google" : "Okta";
      await expectRefused(w, c, () => c.get(p), { text: flowExpired(label), reason: "flow_invalid" });
      assert.equal(flowCookies(c).length, 1, "the flow's cookie is kept");
    }
    const real = await c.get(path);
    assert.equal(real.location, "/", real.body);
    assert.equal(await signedInAs(c), EMAIL);
    assert.deepEqual(flowCookies(c), [], "the completed flow's cookie is cleared");
  });

  it("two tabs, okta and github, started one after the other: both complete (the later one first)", async () => {
    const c = w.app.client();
    const atOkta = await atCallback(c, "okta");
    const atGithub = await atCallback(c, "github");
    assert.equal(flowCookies(c).length, 2);
    const github = await c.get(atGithub);
    assert.equal(github.location, "/", github.body);
    assert.equal(await signedInAs(c), EMAIL);
    const okta = await c.get(atOkta);
    assert.equal(okta.location, "/", okta.body);
    assert.equal(await signedInAs(c), EMAIL);
    assert.deepEqual(flowCookies(c), []);
  });

  it("a browser that starts many flows keeps at most four; the newest completes", async () => {
    const c = w.app.client();
    const paths: string[] = [];
    for (let i = 0; i < 6; i++) paths.push(await atCallback(c, "okta"));
    assert.equal(flowCookies(c).length, 4);
    const newest = await c.get(paths.at(-1)!);
    assert.equal(newest.location, "/", newest.body);
    assert.equal(await signedInAs(c), EMAIL);
  });
});
