import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromiumAvailable } from "../helpers/browser.js";
import { openPasskeyBrowser, PASSWORD, type PasskeyBrowser, type PasskeyPage } from "../helpers/passkey-browser.js";

const available = chromiumAvailable();
const GUIDE = fileURLToPath(new URL("../../docs/features/passkeys.md", import.meta.url));

/** The guide's SPA module (its ts block using @simplewebauthn/browser), bundled for the page as `window.guide`. */
async function guideBundle(): Promise<string> {
  const text = readFileSync(GUIDE, "utf8");
  const block = [...text.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((b) => b.includes("startRegistration"));
  assert.ok(block, "the guide has the SPA block");
  const result = await build({
    stdin: { contents: block, loader: "ts", resolveDir: fileURLToPath(new URL("../..", import.meta.url)) },
    bundle: true,
    format: "iife",
    globalName: "guide",
    target: "es2020",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

/**
 * The passkeys guide's SPA walkthrough, as printed, in Chromium with a virtual authenticator against the JSON
 * API: password sign-in, add a passkey, sign out, sign in with it (with and without an identity), confirm it's
 * you, delete it, and the next passkey sign-in is refused.
 */
describe("passkeys guide: the SPA module runs in Chromium", { skip: !available && "chromium not installed" }, () => {
  let pb: PasskeyBrowser;
  let bundle: string;
  before(async () => {
    pb = await openPasskeyBrowser();
    bundle = await guideBundle();
  });
  after(async () => {
    await pb?.close();
  });

  /** Loads the guide's module into the page (once per page load, as an SPA's bundle: its CSRF token lives there). */
  const load = async (p: PasskeyPage) => {
    await p.page.goto(`${pb.base}/login`);
    await p.page.evaluate(`${bundle}\n;window.guide = guide;\nundefined;`);
  };
  /** Calls one of the guide's exported functions in the page; a thrown error comes back as { error }. */
  const run = (p: PasskeyPage, fn: string, ...args: unknown[]) =>
    p.page.evaluate(
      `window.guide.${fn}(...${JSON.stringify(args)}).then((value) => ({ value }), (e) => ({ error: String(e.message) }))`,
    ) as Promise<{ value?: any; error?: string }>;

  it("add a passkey, sign in with it, confirm, delete; then it no longer signs in", async () => {
    const email = "Pass-Key.Owner+spa@Sub.Example.test";
    await pb.app.rampart.api.createUser({ email, password: PASSWORD });
    const p = await pb.open();
    await load(p);
    assert.deepEqual(await run(p, "signInWithPassword", email, PASSWORD), { value: undefined });
    assert.deepEqual(await run(p, "addPasskey", "Laptop"), { value: undefined });
    assert.equal((await p.credentials()).length, 1);

    await p.context.clearCookies();
    await load(p);
    const signedIn = await run(p, "signInWithPasskey");
    assert.equal(signedIn.value?.email, "Pass-Key.Owner+spa@sub.example.test", JSON.stringify(signedIn));
    await p.context.clearCookies();
    await load(p);
    const hinted = await run(p, "signInWithPasskey", email);
    assert.equal(hinted.value?.email, "Pass-Key.Owner+spa@sub.example.test", JSON.stringify(hinted));

    assert.deepEqual(await run(p, "confirmWithPasskey"), { value: undefined });
    assert.deepEqual(await run(p, "deletePasskey", "Laptop"), { value: undefined });
    await p.context.clearCookies();
    await load(p);
    const refused = await run(p, "signInWithPasskey");
    assert.deepEqual(refused, { error: "Unregistered passkey." }, "the deleted passkey no longer signs in");
    assert.deepEqual(p.problems, []);
    await p.close();
  });
});
