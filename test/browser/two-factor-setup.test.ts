import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { chromiumAvailable, openDemoInChromium } from "../helpers/browser.js";
import { oathtoolSkip } from "../helpers/totp-clock.js";
import { createTfApp, oath, PASSWORD, type TfApp } from "../../src/features/two-factor/testing/kit.js";

const available = chromiumAvailable();

/** A signed-in user sets up an authenticator on the HTML page and finishes it with a code, in Chromium. */
describe(
  "two-factor set-up page in a real browser (Chromium)",
  { skip: (!available && "chromium not installed") || oathtoolSkip },
  () => {
    let t: TfApp;
    let server: Awaited<ReturnType<typeof openDemoInChromium>>;
    let browser: Browser;
    let base: string;

    before(async () => {
      // Plain http on localhost: development mode makes cookies non-Secure with plain names.
      t = await createTfApp("sqlite", {}, false, { development: true });
      await t.app.rampart.api.createUser({ email: "Dana.Lee-Ng+2fa@x.test", password: PASSWORD });
      server = await openDemoInChromium(t.app.rampart);
      base = server.base;
      browser = server.browser;
    });
    after(async () => {
      await server?.close();
      await t?.app.close();
    });

    it("signs in, chooses authenticator, scans (reads the key), enters the code, lands on the set-up page with the new method", async () => {
      const page = await browser.newPage();
      const cspViolations: string[] = [];
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });
      await page.goto(`${base}/login`);
      await page.fill("#email", "Dana.Lee-Ng+2fa@x.test");
      await page.fill("#password", PASSWORD);
      await page.click("button[type=submit]");
      await page.waitForURL((u) => u.pathname !== "/login");
      await page.goto(`${base}/tf-setup`);
      await page.check("input[name=setup][value=authenticator]");
      await page.click("#tf-setup-form button[type=submit]");
      await page.waitForSelector("#tf-code-form");
      assert.ok(await page.locator("img[alt^='QR code']").isVisible(), "the QR code is shown");
      assert.ok(await page.locator("#tf-code-form input[name=code]").isVisible(), "and the code field to finish");
      const key = (await page.locator("main code").innerText()).trim();
      await page.fill("#tf-code-form input[name=code]", oath(t, key));
      await page.click("#tf-code-form button[type=submit]");
      await page.waitForURL(`${base}/tf-setup`);
      assert.match(await page.locator("[role=status]").innerText(), /You successfully changed your two-factor method/);
      assert.match(await page.locator("main").innerText(), /Current method: authenticator/);
      const user = await t.app.rampart.datastore.users.findByEmail("dana.lee-ng+2fa@x.test");
      assert.equal(user?.tfPrimaryMethod, "authenticator");
      assert.deepEqual(cspViolations, []);
      await page.close();
    });
  },
);
