import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { chromiumAvailable, openDemoInChromium } from "../helpers/browser.js";
import { createTestApp, type TestApp } from "../helpers/app.js";

const available = chromiumAvailable();

/**
 * Pages carry a CSP whose style (and script) sources are a nonce fresh for each response, never
 * 'unsafe-inline': the page's own style element carries that nonce and applies in Chromium, while a style
 * element without it is refused.
 */
describe("page CSP with a per-response nonce (Chromium)", { skip: !available && "chromium not installed" }, () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof openDemoInChromium>>;
  let browser: Browser;

  before(async () => {
    app = await createTestApp({ config: { development: true } });
    server = await openDemoInChromium(app.rampart);
    browser = server.browser;
  });
  after(async () => {
    await server?.close();
    await app?.close();
  });

  it("the header names the nonce the page's style uses; it changes per response; the style applies", async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const response = (await page.goto(`${server.base}/login`))!;
      const csp = response.headers()["content-security-policy"] ?? "";
      assert.doesNotMatch(csp, /unsafe-inline/);
      const nonce = /style-src 'self' 'nonce-([A-Za-z0-9_-]{16,})'/.exec(csp)?.[1];
      assert.ok(nonce, csp);
      assert.match(csp, new RegExp(`script-src 'self' 'nonce-${nonce}'`));
      const body = await response.text();
      assert.ok(body.includes(`<style nonce="${nonce}">`), "the page's style carries the header's nonce");
      assert.doesNotMatch(body, /rampart-nonce-/, "no unreplaced slot");
      nonces.push(nonce);
      // The page's style is applied (a blocked style would leave the browser's default button).
      const background = await page.locator("button[type=submit]").evaluate((b) => getComputedStyle(b).backgroundColor);
      assert.equal(background, "rgb(31, 95, 168)");
    }
    assert.notEqual(nonces[0], nonces[1], "a fresh nonce per response");
    assert.deepEqual(violations, []);

    // A style element without the nonce (as an injection would add) is refused by the browser.
    await page.evaluate(() => {
      const style = document.createElement("style");
      style.textContent = "button { background-color: rgb(1, 2, 3) !important; }";
      document.head.appendChild(style);
    });
    const after = await page.locator("button[type=submit]").evaluate((b) => getComputedStyle(b).backgroundColor);
    assert.equal(after, "rgb(31, 95, 168)", "the un-nonced style did not apply");
    assert.ok(violations.length > 0, "and Chromium reported the violation");
    await page.close();
  });
});
