import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { generateTotpCode, generateTotpSecret } from "../../src/crypto/totp/index.js";
import { secretBox } from "../../src/kit/passcodes/index.js";
import { linkedIdentityStore } from "../../src/features/oauth/store.js";
import { chromiumAvailable } from "../helpers/browser.js";
import { openOauthBrowser, screenshot, type OauthBrowser } from "../helpers/oauth-browser.js";

const available = chromiumAvailable();
const PASSWORD = "correct horse battery staple 42";
const TOTP_SECRET = generateTotpSecret();

/**
 * Social sign-in in Chromium: the page's provider button → the provider (a real OpenID Connect provider, or the
 * GitHub-speaking server; both complete the sign-in by themselves) → back on the app, signed in. What the user
 * sees is asserted: where the browser ends, the page's message, whether a protected page answers.
 */
describe("social sign-in in a real browser (Chromium)", { skip: !available && "chromium not installed" }, () => {
  let world: OauthBrowser;
  before(async () => {
    world = await openOauthBrowser({
      config: {
        twoFactor: { enabled: true },
        registration: { enabled: true },
        oauth: { register: true },
        totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
      } as never,
    });
  });
  after(() => world?.close());

  async function user(email: string) {
    return world.app.rampart.api.createUser({ email, password: PASSWORD, confirmed: true });
  }

  /**
   * The protected route's answer with this browser's cookies (asked as JSON: a browser page would be redirected
   * to the sign-in page): its status and the greeting naming the signed-in user.
   */
  async function protectedPage(page: Page): Promise<{ status: number; text: string }> {
    const r = await page.context().request.get(`${world.base}/api/protected`, {
      headers: { accept: "application/json" },
      maxRedirects: 0,
    });
    return { status: r.status(), text: await r.text() };
  }

  async function sessionCookies(context: BrowserContext): Promise<string[]> {
    return (await context.cookies(world.base)).map((c) => c.name).filter((n) => /session|remember/.test(n));
  }

  it('"Sign in with Okta" on /login: the provider, then back signed in at next', async () => {
    await user("okta.person@x.test");
    world.idp.setAccount({ sub: "okta-person-1", email: "okta.person@x.test", email_verified: true, name: "Okta P" });
    const { context, page, problems } = await world.open();
    await page.goto(`${world.base}/login?next=%2Fapi%2Fprotected`);
    await screenshot(page, "login");
    const seenAtProvider: string[] = [];
    page.on("request", (r) => {
      if (r.url().startsWith(world.idp.issuer)) seenAtProvider.push(new URL(r.url()).pathname);
    });
    await page.click("text=Sign in with Okta");
    await page.waitForURL(`${world.base}/api/protected`);
    assert.ok(seenAtProvider.includes("/auth"), `the browser went to the provider: ${seenAtProvider.join(" ")}`);
    assert.match(await page.content(), /Hello okta\.person@x\.test/);
    assert.equal((await protectedPage(page)).status, 200);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('"Sign in with Google" (Google\'s issuer on loopback): back signed in, upstream amr recorded', async () => {
    const account = await user("google.person@x.test");
    world.google.setAccount({
      sub: "g-1001",
      email: "google.person@x.test",
      email_verified: true,
      amr: ["pwd", "mfa"],
    });
    const { context, page, problems } = await world.open();
    await page.goto(`${world.base}/login`);
    await page.click("text=Sign in with Google");
    await page.waitForURL((u) => u.origin === world.base && !u.pathname.startsWith("/login"));
    const answer = await protectedPage(page);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.text, /Hello google\.person@x\.test/);
    const linked = await world.app.runtime.datastore.store(linkedIdentityStore).listForUser(account.id);
    assert.deepEqual(
      linked.map((l) => [l.provider, l.subject]),
      [["google", "g-1001"]],
    );
    const sessions = await world.app.runtime.sessions.listForUser(account.id);
    assert.deepEqual(
      sessions.map((x) => x.authnVia),
      [["oauth", "oauth:idp=google", "oauth:amr=pwd", "oauth:amr=mfa"]],
    );
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('"Continue with GitHub": GitHub\'s authorize, then back signed in', async () => {
    await user("octo.person@x.test");
    world.github.setUser({
      id: 90001,
      login: "octo-person",
      name: "Octo Person",
      email: null,
      emails: [
        { email: "octo.other@x.test", primary: false, verified: true },
        { email: "octo.person@x.test", primary: true, verified: true },
      ],
    });
    const { context, page, problems } = await world.open();
    await page.goto(`${world.base}/login`);
    await page.click("text=Continue with GitHub");
    await page.waitForURL((u) => u.origin === world.base && !u.pathname.startsWith("/login"));
    const answer = await protectedPage(page);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.text, /Hello octo\.person@x\.test/);
    assert.ok(world.github.requests.authorize.length > 0, "the browser went to GitHub's authorize");
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("a user with two-factor gets the second-factor page after the provider, and only the code signs in", async () => {
    const account = await user("two.factor@x.test");
    await world.app.runtime.datastore.users.update(account.id, {
      tfPrimaryMethod: "authenticator",
      tfTotpSecret: secretBox(world.app.runtime).seal(TOTP_SECRET),
    });
    world.idp.setAccount({ sub: "okta-tf-1", email: "two.factor@x.test", email_verified: true });
    const { context, page, problems } = await world.open();
    await page.goto(`${world.base}/login`);
    await page.click("text=Sign in with Okta");
    await page.waitForURL((u) => u.origin === world.base && u.pathname === "/tf-validate");
    await screenshot(page, "second-factor");
    assert.deepEqual(await sessionCookies(context), [], "no session before the second factor");
    assert.equal((await protectedPage(page)).status, 401);

    await page.goto(`${world.base}/tf-validate`);
    await page.fill("#tf-validate-form input[name=code]", generateTotpCode({ secret: TOTP_SECRET, nowMs: Date.now() }));
    await page.click("#tf-validate-form button[type=submit]");
    await page.waitForURL((u) => u.pathname !== "/tf-validate");
    const answer = await protectedPage(page);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.text, /Hello two\.factor@x\.test/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("the user refuses at the provider (access_denied): back on /login with a clear message, no session", async () => {
    await user("refuses@x.test");
    world.idp.setAccount({ sub: "okta-refuses-1", email: "refuses@x.test", email_verified: true });
    world.idp.setFault({ kind: "error", error: "access_denied", description: "The user said no" }, ["authorize"]);
    const { context, page, problems } = await world.open();
    try {
      await page.goto(`${world.base}/login`);
      await page.click("text=Sign in with Okta");
      await page.waitForURL((u) => u.origin === world.base && u.pathname === "/login");
      await screenshot(page, "error");
      const flash = await page.locator(".flash.error").allTextContents();
      assert.deepEqual(flash, ["Sign-in with Okta was cancelled."]);
      assert.deepEqual(await sessionCookies(context), []);
      assert.equal((await protectedPage(page)).status, 401);
      assert.deepEqual(problems, []);
    } finally {
      world.idp.setFault(null);
      await context.close();
    }
  });

  it("GitHub goes down after the user approved (token endpoint): back on /login with a message, no session", async () => {
    await user("down.time@x.test");
    world.github.setUser({
      id: 90099,
      login: "down-time",
      emails: [{ email: "down.time@x.test", primary: true, verified: true }],
    });
    world.github.setFault({ kind: "down" }, ["token"]);
    const { context, page, problems } = await world.open();
    try {
      await page.goto(`${world.base}/login`);
      await page.click("text=Continue with GitHub");
      await page.waitForURL((u) => u.origin === world.base && u.pathname === "/login");
      assert.deepEqual(await page.locator(".flash.error").allTextContents(), [
        "GitHub did not answer. Please try again in a moment.",
      ]);
      assert.deepEqual(await sessionCookies(context), []);
      assert.equal((await protectedPage(page)).status, 401);
      assert.deepEqual(problems, []);
    } finally {
      world.github.setFault(null);
      await context.close();
    }
  });

  it("the linked-accounts page: Link GitHub, the identity listed, Confirm with GitHub on /verify, Unlink", async () => {
    await user("links.things@x.test");
    // Another email at GitHub: linking from the account page does not go by email.
    world.github.setUser({
      id: 90077,
      login: "links-things",
      emails: [{ email: "someone.else@elsewhere.test", primary: true, verified: true }],
    });
    const { context, page, problems } = await world.open();
    await page.goto(`${world.base}/login`);
    await page.fill("#email", "links.things@x.test");
    await page.fill("#password", PASSWORD);
    await page.click("#login-form button[type=submit]");
    await page.waitForURL((u) => u.pathname !== "/login");

    await page.goto(`${world.base}/oauth-accounts`);
    assert.match(await page.locator("main").innerText(), /No accounts are linked yet/);
    await page.click("text=Link GitHub");
    await page.waitForURL((u) => u.origin === world.base && u.pathname === "/oauth-accounts");
    assert.deepEqual(await page.locator(".flash").allTextContents(), ["GitHub is now linked to your account."]);
    const row = await page.locator("#oauth-identities tbody tr").allInnerTexts();
    assert.equal(row.length, 1);
    assert.match(row[0]!, /GitHub\s+someone\.else@elsewhere\.test/);
    await screenshot(page, "accounts");

    // Re-authenticating: the verify page offers the linked provider; it confirms the same user.
    await page.goto(`${world.base}/verify?next=%2Fapi%2Fprotected`);
    await page.click("text=Confirm with GitHub");
    await page.waitForURL(`${world.base}/api/protected`);
    assert.match(await page.content(), /Hello links\.things@x\.test/);

    await page.goto(`${world.base}/oauth-accounts`);
    await page.click("#oauth-identities button:text('Unlink')");
    await page.waitForURL((u) => u.pathname === "/oauth-accounts");
    assert.deepEqual(await page.locator(".flash").allTextContents(), ["GitHub is no longer linked to your account."]);
    assert.match(await page.locator("main").innerText(), /No accounts are linked yet/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('"Continue with GitHub" on /register creates the account (RAMPART_OAUTH_REGISTER), signed in', async () => {
    world.github.setUser({
      id: 90088,
      login: "new-person",
      emails: [{ email: "brand.new@x.test", primary: true, verified: true }],
    });
    const { context, page, problems } = await world.open();
    await page.goto(`${world.base}/register`);
    await page.click("text=Continue with GitHub");
    await page.waitForURL((u) => u.origin === world.base && !u.pathname.startsWith("/login"));
    const answer = await protectedPage(page);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.text, /Hello brand\.new@x\.test/);
    const created = await world.app.runtime.datastore.users.findByEmail("brand.new@x.test");
    assert.ok(created, "the account exists");
    assert.deepEqual(problems, []);
    await context.close();
  });
});
