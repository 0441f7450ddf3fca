import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chromiumAvailable } from "../helpers/browser.js";
import { openPasskeyBrowser, screenshot, type PasskeyBrowser } from "../helpers/passkey-browser.js";
import { signInWithAutofill, stored, whoAmI, AUTOFILL_LOAD } from "../helpers/passkey-flows.js";
import { linksIn } from "../helpers/smtp-sink.js";
import { passkeyStore } from "../../src/features/passkeys/store.js";

const available = chromiumAvailable();

/**
 * Passkey-first sign-up in Chromium (SQLite): the form, the passkey made by the browser, the recovery codes shown
 * once, the confirmation link (the only mail), then a sign-in with nothing typed — the passkey in the sign-in
 * page's autofill. Before the link, the passkey does not sign in.
 */
describe("passkey-first sign-up in Chromium", { skip: !available && "chromium not installed" }, () => {
  let pb: PasskeyBrowser;
  before(async () => {
    pb = await openPasskeyBrowser({
      mail: true,
      config: {
        totp: { secrets: { "1": "k".repeat(40) }, issuer: "Rampart Test" },
        registration: { enabled: true },
        confirmation: { enabled: true },
        twoFactor: { enabled: true, recoveryCodes: true },
        webauthn: { signup: true },
      },
    });
  });
  after(async () => {
    await pb?.close();
  });

  it("signs up with a passkey, gets recovery codes, confirms the email, then signs in by autofill", async () => {
    const email = "New.Pass-Key+signup@Sub.Example.test";
    const p = await pb.open();
    await p.page.goto(`${pb.base}/wan-signup`);
    await p.page.fill("#wan-signup-form input[name=email]", email);
    await p.page.fill("#wan-signup-form input[name=name]", "My phone");
    await screenshot(p.page, "signup");
    await p.page.click("#wan-signup-form button[type=submit]");
    await p.page.waitForSelector("#wan-signup-ceremony");
    await p.page.click("#wan-signup-ceremony button[type=submit]");
    await p.page.waitForSelector("#recovery-codes");
    const codes = await p.page.locator("#recovery-codes li").allInnerTexts();
    assert.ok(codes.length >= 1 && codes.every((c) => c.trim().length >= 8), codes.join(","));
    assert.match(await p.page.locator("[role=status]").innerText(), /confirm/i);
    await screenshot(p.page, "signup-codes");
    assert.equal(await whoAmI(p), null, "not signed in before the email is confirmed");

    const user = (await pb.app.rampart.datastore.users.findByEmail(email))!;
    assert.equal(user.password ?? null, null, "no password");
    const [key] = await pb.app.runtime.datastore.store(passkeyStore).listForUser(user.id);
    assert.equal(key?.name, "My phone");
    assert.equal(key?.usage, "first");

    // Before the confirmation the passkey does not sign in (the autofill answer is refused, nobody signed in).
    const held = p.interceptPost("/wan-signin/");
    await p.page.goto(`${pb.base}/wan-signin`, AUTOFILL_LOAD);
    const early = await p.repost(await held, { freshCsrf: true });
    assert.equal(early.status >= 400, true, JSON.stringify(early.json));
    assert.equal(await whoAmI(p), null);

    const mail = await pb.app.sink.waitFor((m) => m.envelopeTo.some((t) => /new\.pass-key\+signup/i.test(t)));
    const link = linksIn(mail).find((l) => l.includes("/confirm/"));
    assert.ok(link?.startsWith(pb.base), `the confirmation link: ${link}`);
    await p.page.goto(link!);
    await p.context.clearCookies();

    await signInWithAutofill(p);
    assert.equal(await whoAmI(p), stored(email));
    assert.equal(
      pb.app.sink.messages.filter((m) => m.envelopeTo.some((t) => /new\.pass-key\+signup/i.test(t))).length,
      1,
      "the confirmation was the only mail",
    );
    assert.deepEqual(p.problems, []);
    await p.close();
  });
});
