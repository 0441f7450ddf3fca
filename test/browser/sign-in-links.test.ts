import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { chromiumAvailable, openDemoInChromium } from "../helpers/browser.js";
import { createTestApp, type TestApp } from "../helpers/app.js";

const available = chromiumAvailable();

/** A magic link opened in a real browser: the GET signs nobody in; the page's button (CSP-clean) does. */
describe("a magic link in a real browser (Chromium)", { skip: !available && "chromium not installed" }, () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof openDemoInChromium>>;
  let browser: Browser;

  before(async () => {
    app = await createTestApp({
      mail: true,
      config: {
        development: true,
        totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
        unifiedSignin: { enabled: true },
      } as never,
    });
    const user = await app.rampart.api.createUser({
      email: "Browser.Link+1@x.test",
      password: "correct horse battery",
      confirmed: true,
    });
    await app.runtime.datastore.users.update(user.id, {
      usTotpSecrets: app.runtime.services.unifiedSignin!.emailMethodSecrets(),
    });
    server = await openDemoInChromium(app.rampart);
    browser = server.browser;
  });
  after(async () => {
    await server?.close();
    await app?.close();
  });

  it("opening the link shows a Sign in button and no session; clicking it signs in", async () => {
    const c = app.client();
    const csrf = await c.csrf();
    const sent = await c.post("/us-signin/send-code", {
      json: { identity: "browser.link+1@x.test", chosen_method: "email" },
      headers: { "x-csrf-token": csrf },
    });
    assert.equal(sent.status, 200, sent.body);
    const mail = await app.sink.waitFor((m) => m.subject === "Verification Code");
    const link = new URL(/https:\/\/app\.test\/us-verify-link\?\S+/.exec(mail.text)![0]);

    const context = await browser.newContext();
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(`${server.base}${link.pathname}${link.search}`);
    assert.equal(await page.title(), "Sign in · Rampart");
    const cookies = (await context.cookies()).map((k) => k.name);
    assert.ok(
      !cookies.some((n) => /session|remember/.test(n)),
      `no session cookie after the GET: ${cookies.join(",")}`,
    );
    await page.click("#link-landing-form button[type=submit]");
    await page.waitForURL(`${server.base}/`);
    const protectedPage = await page.goto(`${server.base}/api/protected`);
    assert.equal(protectedPage?.status(), 200);
    assert.deepEqual(cspViolations, []);
    await context.close();
  });
});
