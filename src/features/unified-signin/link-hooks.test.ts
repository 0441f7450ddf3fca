import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestApp, flowDialects } from "../../../test/helpers/app.js";
import { landingForm } from "../../../test/helpers/links.js";
import { clocked } from "../../../test/helpers/totp-clock.js";
import type { HookInput } from "../../core/events.js";
import { PASSWORD, post, requestEmailCode, setupEmail, signedInAs, type UsApp } from "./testing/kit.js";

/**
 * The magic link is a unified sign-in like the emailed code it carries: the app's `us_signin` hooks run for it
 * too, so a `before` veto that keeps someone from signing in with a code also keeps them from using the link.
 */
for (const dialect of flowDialects()) {
  describe(`magic link runs the us_signin hooks (${dialect})`, () => {
    let t: UsApp;
    let veto = false;
    const afters: string[] = [];
    before(async () => {
      const app = await createTestApp({
        dialect,
        mail: true,
        config: {
          returnGenericResponses: false,
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
          unifiedSignin: { enabled: true, sendLimit: 50 },
        } as never,
        hooks: {
          before: {
            us_signin: (h: HookInput) =>
              veto && h.user?.email.startsWith("held.")
                ? { message: "Not today.", code: "HELD", status: 403 }
                : undefined,
          },
          after: { us_signin: (h: HookInput) => void afters.push(h.user?.email ?? "?") },
        },
      });
      t = clocked(app);
    });
    after(() => t.app.close());

    async function linkFor(email: string): Promise<{ id: string; code: string }> {
      await t.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
      const c = t.app.client();
      assert.equal((await c.login(email, PASSWORD)).status, 200);
      await setupEmail(t, c, email);
      const { link } = await requestEmailCode(t, email);
      const url = new URL(link!);
      return { id: url.searchParams.get("id")!, code: url.searchParams.get("code")! };
    }

    it("a before veto refuses the link (JSON: the veto's status and message; browser: back to sign-in) and spends nothing", async () => {
      const email = "held.Pat-O+link@Sub.X.test".toLowerCase();
      const params = await linkFor(email);
      veto = true;
      try {
        const spa = t.app.client();
        const r = await post(spa, "/us-verify-link", params);
        assert.equal(r.status, 403, r.body);
        assert.deepEqual(r.json.response.errors, ["Not today."]);
        assert.equal(await signedInAs(spa), false);
        const browser = t.app.client();
        const page = await browser.get(`/us-verify-link?id=${encodeURIComponent(params.id)}&code=${params.code}`);
        const { action, fields } = landingForm(page);
        const done = await browser.post(action, { form: fields });
        assert.equal(done.status, 302);
        assert.equal(done.location, "/us-signin");
        assert.match(
          (await browser.get("/us-signin")).body,
          /Not today\./,
          "the sign-in page shows the veto's message",
        );
        assert.equal(await signedInAs(browser), false);
      } finally {
        veto = false;
      }
      // The veto spent nothing: the same link still works once allowed.
      const c = t.app.client();
      const ok = await post(c, "/us-verify-link", params);
      assert.equal(ok.status, 200, ok.body);
      assert.ok(await signedInAs(c));
    });

    it("a link sign-in runs the after hook", async () => {
      afters.length = 0;
      const email = "after.hook_1@x-y.test";
      const params = await linkFor(email);
      afters.length = 0;
      const c = t.app.client();
      const r = await post(c, "/us-verify-link", params);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(afters, [email]);
    });
  });
}
