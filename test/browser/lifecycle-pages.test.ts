import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { serve, type ServerType } from "@hono/node-server";
import type { Browser } from "playwright-core";
import { chromiumAvailable, launchChromium } from "../helpers/browser.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { demoApp } from "../../src/server/demo-app.js";
import { linksIn } from "../helpers/smtp-sink.js";

const available = chromiumAvailable();

describe("account pages in a real browser (Chromium)", { skip: !available && "chromium not installed" }, () => {
  let app: TestApp;
  let server: ServerType;
  let browser: Browser;
  let base: string;

  before(async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = serve({ fetch: () => new Response(null), port: 0, hostname: "127.0.0.1" }, (info) => {
        probe.close(() => resolve(info.port));
      });
    });
    base = `http://localhost:${port}`;
    app = await createTestApp({
      mail: true,
      config: {
        development: true,
        baseUrl: base,
        registration: { enabled: true },
        confirmation: { enabled: true },
        recovery: { enabled: true },
        changePassword: { enabled: true },
      },
    });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: demoApp(app.rampart), port, hostname: "127.0.0.1" }, () => resolve());
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await app?.close();
  });

  it("registers, confirms from the mail, signs in, changes and then resets the password", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/register`);
    await page.fill("input[name=email]", "erin@x.test");
    await page.fill("input[name=password]", "short");
    await page.fill("input[name=password_confirm]", "short");
    await page.click("button[type=submit]");
    assert.match(await page.content(), /Password must be at least 8 characters/);
    await page.fill("input[name=password]", "erin's first password");
    await page.fill("input[name=password_confirm]", "erin's first password");
    if (process.env.RAMPART_SCREENSHOTS)
      await page.screenshot({ path: `${process.env.RAMPART_SCREENSHOTS}/register.png` });
    await page.click("button[type=submit]");

    const welcome = await app.sink.waitFor((m) => m.envelopeTo.includes("erin@x.test") && /Welcome/.test(m.subject));
    const confirm = linksIn(welcome).find((l) => l.includes("/confirm/"))!;
    await page.goto(confirm);
    assert.equal(new URL(page.url()).pathname, "/login");
    assert.match(await page.locator("[role=status]").innerText(), /confirmed/i);

    await page.fill("#email", "erin@x.test");
    await page.fill("#password", "erin's first password");
    await page.click("button[type=submit]");
    await page.waitForURL(`${base}/`);

    await page.goto(`${base}/change`);
    await page.fill("input[name=password]", "erin's first password");
    await page.fill("input[name=new_password]", "erin's second password");
    await page.fill("input[name=new_password_confirm]", "erin's second password");
    await page.click("button[type=submit]");
    await app.sink.waitFor((m) => m.envelopeTo.includes("erin@x.test") && /changed/i.test(m.subject));

    const other = await browser.newPage();
    await other.goto(`${base}/reset`);
    await other.fill("input[name=email]", "erin@x.test");
    await other.click("button[type=submit]");
    const resetMail = await app.sink.waitFor(
      (m) => m.envelopeTo.includes("erin@x.test") && /reset instructions/i.test(m.subject),
    );
    await other.goto(linksIn(resetMail).find((l) => l.includes("/reset/"))!);
    await other.fill("input[name=password]", "erin's third password");
    await other.fill("input[name=password_confirm]", "erin's third password");
    if (process.env.RAMPART_SCREENSHOTS)
      await other.screenshot({ path: `${process.env.RAMPART_SCREENSHOTS}/reset.png` });
    await other.click("button[type=submit]");
    await app.sink.waitFor((m) => m.envelopeTo.includes("erin@x.test") && /has been reset/i.test(m.subject));

    await page.goto(`${base}/api/protected`);
    assert.equal(new URL(page.url()).pathname, "/login", "the reset ended the first browser's session");
    await page.fill("#email", "erin@x.test");
    await page.fill("#password", "erin's third password");
    await page.click("button[type=submit]");
    await page.waitForURL(`${base}/api/protected`);
    assert.match(await page.content(), /Hello erin@x\.test/);
    await page.close();
    await other.close();
  });
});
