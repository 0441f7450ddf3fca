import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { chromiumAvailable, openDemoInChromium } from "../helpers/browser.js";
import { createTestApp, type TestApp } from "../helpers/app.js";

const available = chromiumAvailable();

describe("pages in a real browser (Chromium)", { skip: !available && "chromium not installed" }, () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof openDemoInChromium>>;
  let browser: Browser;
  let base: string;

  before(async () => {
    // Plain http on localhost: development mode makes cookies non-Secure with plain names.
    app = await createTestApp({ config: { development: true } });
    await app.rampart.api.createUser({ email: "alice@x.test", password: "correct horse battery" });
    server = await openDemoInChromium(app.rampart);
    base = server.base;
    browser = server.browser;
  });
  after(async () => {
    await server?.close();
    await app?.close();
  });

  it("signs in through the form, lists the session, signs it out; the page obeys its CSP", async () => {
    const page = await browser.newPage();
    const cspViolations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(`${base}/login?next=%2Fsessions`);
    assert.equal(await page.title(), "Sign in · Rampart");
    await page.fill("#email", "alice@x.test");
    await page.fill("#password", "wrong password");
    await page.click("button[type=submit]");
    assert.match(await page.locator("#form-errors").innerText(), /Authentication failed/);
    assert.equal(await page.inputValue("#email"), "alice@x.test");
    await page.fill("#password", "correct horse battery");
    await page.click("button[type=submit]");
    await page.waitForURL(`${base}/sessions`);
    assert.match(await page.locator("table").innerText(), /This device/);
    if (process.env.RAMPART_SCREENSHOTS)
      await page.screenshot({ path: `${process.env.RAMPART_SCREENSHOTS}/sessions.png` });
    await page.click("tr[data-session] button");
    await page.waitForURL(`${base}/login`);
    const protectedPage = await page.goto(`${base}/api/protected`);
    assert.equal(new URL(page.url()).pathname, "/login", `got ${protectedPage?.status()}`);
    assert.deepEqual(cspViolations, []);
    await page.close();
  });
});
