import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { chromiumAvailable, openDemoInChromium } from "../helpers/browser.js";
import { createTestApp, type TestApp } from "../helpers/app.js";

const available = chromiumAvailable();
const PASSWORD = "correct horse battery";
// A real, long desktop user agent: the sessions table shows it.
const AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 ExtraLongTokenWithoutAnySpacesAtAllToWrapOn/1.2.3.4.5.6.7.8.9";

/** At a phone's width (375 CSS px) no page scrolls sideways. */
describe("pages at 375 px wide (Chromium)", { skip: !available && "chromium not installed" }, () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof openDemoInChromium>>;
  let browser: Browser;

  before(async () => {
    app = await createTestApp({ config: { development: true } });
    await app.rampart.api.createUser({
      email: "a-very.long+address-for-layout@sub.domain.example.test",
      password: PASSWORD,
    });
    // A second session from a long IPv6 address and the long agent, as another device.
    const other = await createTestAppSession(app);
    assert.equal(other, 200);
    server = await openDemoInChromium(app.rampart);
    browser = server.browser;
  });
  after(async () => {
    await server?.close();
    await app?.close();
  });

  async function createTestAppSession(t: TestApp): Promise<number> {
    const c = t.client();
    const csrf = await c.csrf();
    const request = new Request("https://app.test/login", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-csrf-token": csrf,
        "user-agent": AGENT,
        cookie: c.cookieHeader(),
      },
      body: JSON.stringify({ email: "a-very.long+address-for-layout@sub.domain.example.test", password: PASSWORD }),
    });
    const { attachRemoteAddress } = await import("../../src/core/context.js");
    return (await t.rampart.fetch(attachRemoteAddress(request, "2001:0db8:85a3:0000:0000:8a2e:0370:7334"))).status;
  }

  it("the sessions page (long agent, IPv6) and the sign-in page fit without horizontal scrolling", async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, userAgent: AGENT });
    const page = await context.newPage();
    await page.goto(`${server.base}/login?next=%2Fsessions`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), "the sign-in page fits");
    await page.fill("#email", "a-very.long+address-for-layout@sub.domain.example.test");
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(`${server.base}/sessions`);
    assert.equal(await page.locator("tr[data-session]").count(), 2);
    if (process.env.RAMPART_SCREENSHOTS)
      await page.screenshot({ path: `${process.env.RAMPART_SCREENSHOTS}/sessions-375.png`, fullPage: true });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `the sessions page is ${width} px wide at a 375 px viewport`);
    await context.close();
  });
});
