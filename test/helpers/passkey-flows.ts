/**
 * What a user does on Rampart's passkeys pages, step by step in the browser (the markup of
 * src/features/passkeys/*-page.ts): add a passkey, sign in with one (autofill or the button), confirm it's you.
 * Each step waits for the page it leads to; none sleeps.
 */
import type { PasskeyPage } from "./passkey-browser.js";

/**
 * How to open a page whose autofill ceremony will run: the virtual authenticator answers it at once, so the
 * page's post (or the test holding it back) may start a new navigation before "load"; wait for the commit only.
 */
export const AUTOFILL_LOAD = { waitUntil: "commit" } as const;

/** On /wan-register: name and usage, "Add passkey", then the ceremony's button; back on the list with the new row. */
export async function addPasskeyOnPage(
  p: PasskeyPage,
  name: string,
  usage: "first" | "secondary" = "first",
  shot?: (stage: "ceremony") => Promise<void>,
): Promise<void> {
  const { page } = p;
  await page.goto(`${p.base}/wan-register`);
  await page.fill("#wan-register-form input[name=name]", name);
  if (await page.locator("#wan-register-form select[name=usage]").count())
    await page.selectOption("#wan-register-form select[name=usage]", usage);
  await page.click("#wan-register-form button[type=submit]");
  await page.waitForSelector("#wan-register-response-form");
  await shot?.("ceremony");
  await page.click("#wan-register-response-form button[type=submit]");
  await page.locator("#wan-credentials td", { hasText: name }).first().waitFor();
}

/**
 * Runs `load` (a navigation to a page with an autofill ceremony) while the virtual authenticator holds no
 * credentials, then puts them back: Chromium's virtual authenticator answers a conditional (autofill) request at
 * once, so a test of the button flow keeps it from finding a passkey until the page is loaded.
 */
export async function withoutAutofill(p: PasskeyPage, load: () => Promise<unknown>): Promise<void> {
  const held = await p.credentials();
  for (const c of held)
    await p.cdp.send("WebAuthn.removeCredential", { authenticatorId: p.authenticatorId, credentialId: c.credentialId });
  try {
    await load();
  } finally {
    for (const credential of held)
      await p.cdp.send("WebAuthn.addCredential", { authenticatorId: p.authenticatorId, credential });
  }
}

/** /wan-signin with an identity typed and the button pressed; resolves when the browser has left /wan-signin. */
export async function signInWithPasskeyButton(p: PasskeyPage, identity: string): Promise<void> {
  const { page } = p;
  await withoutAutofill(p, async () => {
    await page.goto(`${p.base}/wan-signin`);
    await page.fill("#wan-signin-form input[name=identity]", identity);
    await page.click("#wan-signin-form button[type=submit]");
    await page.waitForSelector("#wan-signin-ceremony");
  });
  await page.click("#wan-signin-ceremony button[type=submit]");
  await page.waitForURL((u) => !u.pathname.startsWith("/wan-signin"));
}

/** /wan-signin: the page's autofill ceremony finds the passkey by itself and signs in. */
export async function signInWithAutofill(p: PasskeyPage): Promise<void> {
  await p.page.goto(`${p.base}/wan-signin`, AUTOFILL_LOAD);
  await p.page.waitForURL((u) => !u.pathname.startsWith("/wan-signin"));
}

/** Who the browser's cookies sign in as at the demo's guarded route (null: nobody). */
export async function whoAmI(p: PasskeyPage): Promise<string | null> {
  const r = await p.context.request.get(`${p.base}/api/protected`, { headers: { accept: "application/json" } });
  if (r.status() !== 200) return null;
  const body = (await r.json()) as { response: { message: string } };
  return body.response.message.replace(/^Hello /, "");
}

/** An address as Rampart stores it: the domain lower-cased, the local part as typed. */
export const stored = (email: string): string => email.replace(/@.*$/, (domain) => domain.toLowerCase());
