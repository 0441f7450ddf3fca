import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { flowDialects } from "../helpers/app.js";
import { chromiumAvailable, launchChromium } from "../helpers/browser.js";
import {
  openPasskeyBrowser,
  PASSWORD,
  screenshot,
  type PasskeyBrowser,
  type PasskeyPage,
} from "../helpers/passkey-browser.js";
import {
  addPasskeyOnPage,
  signInWithAutofill,
  signInWithPasskeyButton,
  whoAmI,
  stored,
  withoutAutofill,
} from "../helpers/passkey-flows.js";
import { passkeyStore } from "../../src/features/passkeys/store.js";

const available = chromiumAvailable();

/**
 * Register a passkey on an existing account on the /wan-register page, then sign in with it on the /wan-signin
 * page — by the button after typing the address, and by autofill (conditional UI) with nothing typed — in
 * Chromium with a virtual authenticator, on every database. The page's script runs under the CSP nonce: no
 * violation, no script error.
 */
describe("passkeys pages in Chromium: register, then sign in", { skip: !available && "chromium not installed" }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  for (const dialect of flowDialects()) {
    describe(dialect, () => {
      let pb: PasskeyBrowser;
      before(async () => {
        pb = await openPasskeyBrowser({ dialect, browser });
      });
      after(async () => {
        await pb?.close();
      });

      it("adds a passkey on the register page, lists it, and signs in with it by button and by autofill", async () => {
        const email = `Pass-Key.Owner+${dialect}@Sub.Example.test`;
        await pb.app.rampart.api.createUser({ email, password: PASSWORD });
        const p: PasskeyPage = await pb.open();
        await p.signInWithPassword(email);
        const shoot = dialect === "sqlite" ? screenshot : async () => undefined;
        await addPasskeyOnPage(p, "Laptop passkey", "first", () => shoot(p.page, "register-ceremony"));
        await shoot(p.page, "register");
        const row = await p.page.locator("#wan-credentials tbody tr").first().innerText();
        assert.match(row, /Laptop passkey/);
        assert.match(row, /first/);
        assert.match(await p.page.locator("[role=status]").innerText(), /passkey/i, "a flash says it was added");
        const user = (await pb.app.rampart.datastore.users.findByEmail(email))!;
        const [record] = await pb.app.runtime.datastore.store(passkeyStore).listForUser(user.id);
        assert.equal(record?.name, "Laptop passkey");
        const [held] = await p.credentials();
        assert.equal(Buffer.from(record!.credentialId).toString("base64"), held?.credentialId, "the browser's key");

        // Signed out, the button flow with the address typed.
        await p.context.clearCookies();
        assert.equal(await whoAmI(p), null);
        if (dialect === "sqlite")
          await withoutAutofill(p, async () => {
            await p.page.goto(`${pb.base}/wan-signin`);
            await p.page.focus("#wan-signin-form input[name=identity]");
            await screenshot(p.page, "signin-autofill");
            // Leave before the key is back: the page's pending autofill request would take it.
            await p.page.goto("about:blank");
          });
        await signInWithPasskeyButton(p, email);
        assert.equal(await whoAmI(p), stored(email));
        const used = (await pb.app.runtime.datastore.store(passkeyStore).listForUser(user.id))[0]!;
        assert.ok(used.signCount > record!.signCount, "the counter moved on");

        // Signed out again: the sign-in page's autofill finds the passkey with nothing typed.
        await p.context.clearCookies();
        await signInWithAutofill(p);
        assert.equal(await whoAmI(p), stored(email));
        assert.deepEqual(p.problems, []);
        await p.close();
      });
    });
  }
});
