import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { chromiumAvailable, openDemoInChromium } from "../../../test/helpers/browser.js";
import type { Reply, TestClient } from "../../../test/helpers/client.js";
import { createUsApp, oath, setupEmail, signedIn, signedInAs, toStepStart, usMail, type UsApp } from "./testing/kit.js";

/**
 * The unified sign-in HTML pages as a form user sees them: no JSON, forms posted with their csrf_token field,
 * answers read from the page. A browser test at the end types a mailed code into the real page.
 */
interface PageForm {
  action: string;
  csrf: string;
  html: string;
}

/** The form with this id on the page: its action, its csrf_token and its markup. */
function formById(page: string, id: string): PageForm {
  const m = new RegExp(`<form method="post" action="([^"]+)" id="${id}">([\\s\\S]*?)</form>`).exec(page);
  assert.ok(m, `form #${id} on the page:\n${page}`);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(m[2]!);
  assert.ok(csrf, `csrf_token in form #${id}`);
  return { action: m[1]!.replaceAll("&amp;", "&"), csrf: csrf[1]!, html: m[2]! };
}

function isHtml(r: Reply): void {
  assert.equal(r.status, 200, r.body);
  assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
}

function submit(c: TestClient, f: PageForm, fields: Record<string, string>): Promise<Reply> {
  return c.post(f.action, { form: { csrf_token: f.csrf, ...fields } });
}

async function sendCodeFromPage(t: UsApp, c: TestClient, email: string): Promise<{ page: Reply; code: string }> {
  const page = await c.get("/us-signin");
  isHtml(page);
  const sent = await submit(c, formById(page.body, "us-send-email"), { identity: email, chosen_method: "email" });
  isHtml(sent);
  return { page: sent, code: (await usMail(t, email)).code };
}

describe("unified sign-in pages (HTML forms)", () => {
  let t: UsApp;
  before(async () => {
    t = await createUsApp("sqlite", { sendLimit: 50 }, { freshness: { withinSeconds: 300, gracePeriodSeconds: 0 } });
    await setupEmail(t, await signedIn(t, "page@x.test"), "page@x.test");
  });
  after(() => t.app.close());

  it("GET /us-signin: the sign-in form and the 'Email me a code' form, each with a csrf_token", async () => {
    const r = await t.app.client().get("/us-signin");
    isHtml(r);
    const signin = formById(r.body, "us-signin-form");
    assert.equal(signin.action, "/us-signin");
    assert.match(signin.html, /name="identity"/);
    assert.match(signin.html, /name="passcode"/);
    const send = formById(r.body, "us-send-email");
    assert.equal(send.action, "/us-signin/send-code");
    assert.match(send.html, /name="chosen_method" value="email"/);
    assert.match(send.html, />Email me a code</);
  });

  it("send-code re-renders with 'Code has been sent.'; the mailed code typed into the form signs in (302 to /)", async () => {
    const c = t.app.client();
    const { page, code } = await sendCodeFromPage(t, c, "page@x.test");
    assert.match(page.body, /Code has been sent\./);
    assert.match(formById(page.body, "us-signin-form").html, /name="identity" value="page@x\.test"/, "identity kept");
    assert.equal(await signedInAs(c), false);
    const r = await submit(c, formById(page.body, "us-signin-form"), { identity: "page@x.test", passcode: code });
    assert.equal(r.status, 302, r.body);
    assert.equal(r.location, "/");
    assert.ok(await signedInAs(c));
  });

  it("a wrong code re-renders the page with the error (200) and signs nobody in", async () => {
    const c = t.app.client();
    const { page, code } = await sendCodeFromPage(t, c, "page@x.test");
    const wrong = code === "000000" ? "111111" : "000000";
    const r = await submit(c, formById(page.body, "us-signin-form"), { identity: "page@x.test", passcode: wrong });
    isHtml(r);
    assert.match(r.body, /Password or code submitted is not valid/);
    const sessionCookie = t.app.runtime.config.session.cookieName;
    assert.ok(!r.setCookies.some((h) => h.startsWith(`${sessionCookie}=`)), r.setCookies.join("\n"));
    assert.equal(await signedInAs(c), false);
    formById(r.body, "us-signin-form");
  });

  it("/us-setup (signed in, fresh): authenticator shows a QR image and the key; an oathtool code finishes setup", async () => {
    const c = await signedIn(t, "setup@x.test");
    const page = await c.get("/us-setup");
    isHtml(page);
    const chosen = await submit(c, formById(page.body, "us-setup-authenticator"), { chosen_method: "authenticator" });
    isHtml(chosen);
    assert.match(chosen.body, /<img src="data:image\/png;base64,[A-Za-z0-9+/=]{100,}"/);
    const key = /Key: <code>([A-Z2-7]+)<\/code>/.exec(chosen.body)?.[1];
    assert.ok(key, chosen.body);
    const verifyForm = formById(chosen.body, "us-setup-validate-form");
    assert.match(verifyForm.action, /^\/us-setup\/[^/]+$/);

    const bad = await submit(c, verifyForm, { passcode: "000000" === oath(t, key) ? "111111" : "000000" });
    isHtml(bad);
    assert.match(bad.body, /Password or code submitted is not valid/);
    toStepStart(t);
    const done = await submit(c, formById(bad.body, "us-setup-validate-form"), { passcode: oath(t, key) });
    isHtml(done);
    assert.match(done.body, /Unified sign in setup successful/);
    assert.match(done.body, /Currently active sign in options: password, authenticator/);
    // The user observes it: that authenticator now signs in on the sign-in page.
    t.advance(30);
    const other = t.app.client();
    const signin = formById((await other.get("/us-signin")).body, "us-signin-form");
    assert.equal((await submit(other, signin, { identity: "setup@x.test", passcode: oath(t, key) })).status, 302);
    assert.ok(await signedInAs(other));
  });

  it("/us-verify: a stale session is sent there; a mailed code typed into it refreshes and returns to next", async () => {
    const c = await signedIn(t, "verify@x.test");
    await setupEmail(t, c, "verify@x.test");
    t.advance(400);
    const stale = await c.get("/us-setup");
    assert.equal(stale.status, 302);
    assert.equal(stale.location, "/us-verify?next=%2Fus-setup");
    const page = await c.get(stale.location!);
    isHtml(page);
    assert.match(page.body, /Please confirm it&#39;s you|Please confirm it's you/);
    const sent = await submit(c, formById(page.body, "us-verify-send-email"), { chosen_method: "email" });
    isHtml(sent);
    assert.match(sent.body, /Code has been sent\./);
    const { code } = await usMail(t, "verify@x.test");
    const verifyForm = formById(sent.body, "us-verify-form");
    const bad = await submit(c, verifyForm, { passcode: code === "000000" ? "111111" : "000000" });
    isHtml(bad);
    assert.match(bad.body, /Password or code submitted is not valid/);
    assert.equal((await c.get("/us-setup")).status, 302, "still stale after a wrong code");
    const ok = await submit(c, formById(bad.body, "us-verify-form"), { passcode: code });
    assert.equal(ok.status, 302, ok.body);
    assert.equal(ok.location, "/us-setup");
    isHtml(await c.get("/us-setup"));
  });
});

const available = chromiumAvailable();

describe("unified sign-in in a real browser (Chromium)", { skip: !available && "chromium not installed" }, () => {
  let t: UsApp;
  let server: Awaited<ReturnType<typeof openDemoInChromium>>;
  let browser: Browser;
  let base: string;
  before(async () => {
    // Plain http on localhost: development mode makes cookies non-Secure with plain names.
    t = await createUsApp("sqlite", {}, { development: true });
    await setupEmail(t, await signedIn(t, "chrome@x.test"), "chrome@x.test");
    server = await openDemoInChromium(t.app.rampart);
    base = server.base;
    browser = server.browser;
  });
  after(async () => {
    await server?.close();
    await t?.app.close();
  });

  it("request a code by email, type it into the page, land signed in", async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(5000);
    await page.goto(`${base}/us-signin`);
    await page.fill("#us-send-email [name=identity]", "chrome@x.test");
    await page.click("#us-send-email button[type=submit]");
    await page.waitForSelector("text=Code has been sent.");
    const { code } = await usMail(t, "chrome@x.test");
    await page.fill("#us-signin-form [name=identity]", "chrome@x.test");
    await page.fill("#us-signin-form [name=passcode]", code);
    await page.click("#us-signin-form button[type=submit]");
    await page.waitForURL(`${base}/`);
    await page.goto(`${base}/api/protected`);
    assert.match(await page.locator("body").innerText(), /Hello chrome@x\.test/);
    await page.close();
  });
});
