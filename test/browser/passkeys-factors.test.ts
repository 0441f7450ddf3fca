import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromiumAvailable } from "../helpers/browser.js";
import {
  openPasskeyBrowser,
  PASSWORD,
  screenshot,
  type PasskeyBrowser,
  type PasskeyPage,
} from "../helpers/passkey-browser.js";
import { addPasskeyOnPage, whoAmI, withoutAutofill, stored, AUTOFILL_LOAD } from "../helpers/passkey-flows.js";

const available = chromiumAvailable();
const FRESH = 600;

/**
 * The other passkey pages in Chromium (SQLite; the register/sign-in flow runs on every database in
 * passkeys.test.ts): a passkey as the second factor after the password, confirming it's you with a passkey when
 * the sign-in is no longer fresh, and deleting a passkey, after which it no longer signs in.
 */
describe(
  "passkeys in Chromium: second factor, verify, delete",
  { skip: !available && "chromium not installed" },
  () => {
    let pb: PasskeyBrowser;
    before(async () => {
      pb = await openPasskeyBrowser({
        config: {
          totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
          twoFactor: { enabled: true },
          freshness: { withinSeconds: FRESH, gracePeriodSeconds: 0 },
        },
      });
    });
    after(async () => {
      await pb?.close();
    });

    async function signedInUser(email: string): Promise<PasskeyPage> {
      await pb.app.rampart.api.createUser({ email, password: PASSWORD });
      const p = await pb.open();
      await p.signInWithPassword(email);
      return p;
    }

    it("a second-factor passkey: the password sign-in stops at the passkey step; the passkey finishes it", async () => {
      const email = "Second.Factor+key@Sub.Example.test";
      const p = await signedInUser(email);
      await addPasskeyOnPage(p, "Security key", "secondary");
      await p.context.clearCookies();

      await p.page.goto(`${pb.base}/login`);
      await p.page.fill("#email", email);
      await p.page.fill("#password", PASSWORD);
      await p.page.click("#login-form button[type=submit]");
      await p.page.waitForURL((u) => u.pathname.startsWith("/wan-signin"));
      const button = p.page.locator("form[data-wan-ceremony=authenticate] button[type=submit]");
      await button.waitFor();
      await screenshot(p.page, "second-factor");
      assert.equal(await whoAmI(p), null, "the password alone signed nobody in");
      await button.click();
      await p.page.waitForURL((u) => !u.pathname.startsWith("/wan-signin"));
      assert.equal(await whoAmI(p), stored(email));
      assert.deepEqual(p.problems, []);
      await p.close();
    });

    it("verify: a sign-in past its freshness confirms with the passkey and gets to the fresh-only page", async () => {
      const email = "Verify.Me+key@Sub.Example.test";
      const p = await signedInUser(email);
      await addPasskeyOnPage(p, "Laptop", "first");
      pb.app.advance(FRESH + 1);
      const stale = await p.context.request.get(`${pb.base}/wan-register`, { headers: { accept: "application/json" } });
      assert.equal(stale.status(), 401, "no longer fresh");

      await p.page.goto(`${pb.base}/wan-verify?next=${encodeURIComponent("/wan-register")}`);
      await p.page.click("#wan-verify-form button[type=submit]");
      await p.page.waitForSelector("#wan-verify-response-form");
      await screenshot(p.page, "verify");
      await p.page.click("#wan-verify-response-form button[type=submit]");
      await p.page.waitForURL((u) => u.pathname === "/wan-register");
      await p.page.locator("#wan-credentials td", { hasText: "Laptop" }).first().waitFor();
      const fresh = await p.context.request.get(`${pb.base}/wan-register`, { headers: { accept: "application/json" } });
      assert.equal(fresh.status(), 200, "fresh again");
      assert.deepEqual(p.problems, []);
      await p.close();
    });

    it("delete: the passkey leaves the list, and its next sign-in is refused", async () => {
      const email = "Delete.Me+key@Sub.Example.test";
      const p = await signedInUser(email);
      await addPasskeyOnPage(p, "Old phone", "first");
      const row = p.page.locator("#wan-credentials tbody tr", { hasText: "Old phone" });
      await row.locator("button[type=submit]").click();
      await p.page.locator("[role=status]", { hasText: "Old phone" }).waitFor();
      assert.equal(await p.page.locator("#wan-credentials td", { hasText: "Old phone" }).count(), 0);
      await p.context.clearCookies();

      // The authenticator still holds the key; the server no longer knows it.
      assert.equal((await p.credentials()).length, 1);
      const held = p.interceptPost("/wan-signin/");
      await p.page.goto(`${pb.base}/wan-signin`, AUTOFILL_LOAD);
      const r = await p.repost(await held, { freshCsrf: true });
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.deepEqual(r.json.response.error_codes, ["WEBAUTHN_UNKNOWN_CREDENTIAL_ID"]);
      assert.equal(await whoAmI(p), null);

      // On the page, the button flow shows the refusal.
      await withoutAutofill(p, async () => {
        await p.page.goto(`${pb.base}/wan-signin`);
        await p.page.fill("#wan-signin-form input[name=identity]", email);
        await p.page.click("#wan-signin-form button[type=submit]");
        await p.page.waitForSelector("#wan-signin-ceremony");
      });
      // The answer page offers autofill again, which the virtual authenticator would answer at once, again and
      // again: the key leaves the authenticator as its one answer goes out.
      const answered = (u: URL) => u.pathname.startsWith("/wan-signin/");
      await p.page.route(answered, async (route) => {
        for (const c of await p.credentials())
          await p.cdp.send("WebAuthn.removeCredential", {
            authenticatorId: p.authenticatorId,
            credentialId: c.credentialId,
          });
        await route.continue();
      });
      await p.page.click("#wan-signin-ceremony button[type=submit]");
      await p.page.locator("[role=alert]", { hasText: "Unregistered passkey." }).first().waitFor();
      assert.equal(await whoAmI(p), null);
      await p.close();
    });
  },
);
