/**
 * Social sign-in in a real browser: the demo app on `http://localhost:PORT` (the port is taken first, so the
 * app's RAMPART_BASE_URL and the redirect URIs registered at the providers name it), an OpenID Connect provider
 * (oidc-provider, declared as the generic provider "okta", and a second one behind "google") and the
 * GitHub-speaking server on loopback, all
 * auto-completing their sign-in, and Debian's Chromium driven by playwright-core. The browser really travels:
 * the app's page → the provider's authorize URL → back to the app's callback.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import { demoApp } from "../../src/server/demo-app.js";
import { createTestApp, type TestApp } from "./app.js";
import { launchChromium, serveFetch } from "./browser.js";
import { startGithubFake, type GithubFake } from "./github-fake.js";
import { startOidcIdp, type OidcIdp } from "./oidc-idp.js";
import { loopbackProviders } from "./oauth-world.js";

export interface OauthBrowser {
  app: TestApp;
  /** http://localhost:PORT: the app's base URL. */
  base: string;
  idp: OidcIdp;
  /** The OpenID Connect provider behind "google" (Google's issuer overridden to it). */
  google: OidcIdp;
  github: GithubFake;
  browser: Browser;
  /** A new browser context (own cookies) and page; records CSP violations and script errors in `problems`. */
  open(): Promise<{ context: BrowserContext; page: Page; problems: string[] }>;
  close(): Promise<void>;
}

export async function openOauthBrowser(
  options: { config?: RampartConfigInput; mail?: boolean } = {},
): Promise<OauthBrowser> {
  // The listener is the reservation; it answers 503 until the app exists.
  let handler: (request: Request) => Promise<Response> = async () => new Response("starting", { status: 503 });
  const server = await serveFetch((request) => handler(request));
  const base = server.base;
  const returnUris = (name: string) => [
    `${base}/login/oauthresponse/${name}`,
    `${base}/login/oauth-verify-response/${name}`,
  ];
  const opened: { close(): Promise<void> }[] = [server];
  const closeAll = async () => {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
  };
  try {
    const idp = await startOidcIdp({ redirectUris: returnUris("okta") });
    opened.push(idp);
    const google = await startOidcIdp({ redirectUris: returnUris("google"), clientId: "google-client" });
    opened.push(google);
    const github = await startGithubFake({ redirectUris: returnUris("github") });
    opened.push(github);
    const extra = (options.config ?? {}) as Record<string, unknown>;
    const app = await createTestApp({
      mail: options.mail ?? false,
      config: {
        development: true,
        ...extra,
        baseUrl: base,
        oauth: { ...loopbackProviders({ idp, google, github }), ...((extra.oauth ?? {}) as object) },
      } as RampartConfigInput,
    });
    opened.push(app);
    handler = demoApp(app.rampart);
    const browser = await launchChromium();
    opened.push(browser);
    return {
      app,
      base,
      idp,
      google,
      github,
      browser,
      async open() {
        const context = await browser.newContext();
        const page = await context.newPage();
        const problems: string[] = [];
        page.on("console", (m) => {
          if (/Content Security Policy/i.test(m.text())) problems.push(`csp: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`error: ${e.message}`));
        return { context, page, problems };
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Where the guide's screenshots live; rewritten only when RAMPART_SCREENSHOTS=1 (CI leaves the tree clean). */
const SHOTS = fileURLToPath(new URL("../../docs/features/social-sign-in/", import.meta.url));

export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.RAMPART_SCREENSHOTS !== "1") return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}
