/**
 * Passkeys in a real browser: the demo app on `http://localhost:PORT` (the port is taken before the app is made,
 * so the app's base URL, RP ID and origins are that origin), Debian's Chromium, and per page a CDP virtual
 * authenticator (CTAP2, internal transport, resident keys, user verification that always succeeds, presence
 * simulated) — the browser's own WebAuthn code runs the ceremonies against Rampart's pages.
 *
 * Every page records CSP violations and script errors (`problems`): a passkeys page whose inline script was
 * refused would show nothing else, so tests assert the list is empty.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, CDPSession, Page, Request as PageRequest } from "playwright-core";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import { demoApp } from "../../src/server/demo-app.js";
import { createTestApp, type TestApp } from "./app.js";
import { launchChromium, serveDemo, serveFetch } from "./browser.js";

export const PASSWORD = "correct horse battery staple 42";

export interface PasskeyBrowserOptions {
  dialect?: "sqlite" | "postgres" | "mysql";
  /** Merged over the defaults (development mode for http cookies; passkeys on, bound to the served origin). */
  config?: RampartConfigInput;
  mail?: boolean;
  /** A browser to share between the apps of one test file (not closed by `close()`); default: a new one. */
  browser?: Browser;
}

/** A credential as the virtual authenticator holds it (CDP WebAuthn.Credential; ids and keys in base64). */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

export interface PasskeyBrowser {
  app: TestApp;
  /** http://localhost:PORT, the app's base URL and its one configured WebAuthn origin. */
  base: string;
  browser: Browser;
  /** A new browser context (own cookies) with one page and its virtual authenticator. */
  open(options?: AuthenticatorOptions): Promise<PasskeyPage>;
  /**
   * The same app served on another port: its origin has the RP ID's host (so the browser runs the ceremony)
   * but is not a configured origin, so the server must refuse what comes from it.
   */
  otherOrigin(): Promise<string>;
  close(): Promise<void>;
}

/** A form post the page sent (or was about to send). */
export interface CapturedPost {
  url: string;
  body: string;
  contentType: string;
}

export interface AuthenticatorOptions {
  /** The authenticator verifies the user (PIN/biometric); default true. */
  uv?: boolean;
}

/**
 * Runs navigator.credentials.create/get in the page with JSON options; the answer in WebAuthn's JSON form. Plain
 * JavaScript text: the test runner's transform would add helpers to a function that the page does not have.
 */
const IN_PAGE = `async ({ kind, options: o }) => {
  const toBytes = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const toB64 = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const ids = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));
  const publicKey = { ...o, challenge: toBytes(o.challenge) };
  if (kind === "create") {
    publicKey.user = { ...o.user, id: toBytes(o.user.id) };
    publicKey.excludeCredentials = ids(o.excludeCredentials);
    const c = await navigator.credentials.create({ publicKey });
    return { id: c.id, rawId: toB64(c.rawId), type: c.type, clientExtensionResults: c.getClientExtensionResults(),
      response: { clientDataJSON: toB64(c.response.clientDataJSON), attestationObject: toB64(c.response.attestationObject),
        transports: c.response.getTransports() } };
  }
  publicKey.allowCredentials = ids(o.allowCredentials);
  const c = await navigator.credentials.get({ publicKey });
  return { id: c.id, rawId: toB64(c.rawId), type: c.type, clientExtensionResults: c.getClientExtensionResults(),
    response: { clientDataJSON: toB64(c.response.clientDataJSON), authenticatorData: toB64(c.response.authenticatorData),
      signature: toB64(c.response.signature), userHandle: c.response.userHandle ? toB64(c.response.userHandle) : undefined } };
}`;

export class PasskeyPage {
  /** CSP violations and uncaught script errors seen on this page. */
  readonly problems: string[] = [];

  constructor(
    readonly base: string,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly cdp: CDPSession,
    readonly authenticatorId: string,
  ) {
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) this.problems.push(`csp: ${m.text()}`);
    });
    page.on("pageerror", (e) => this.problems.push(`error: ${e.message}`));
  }

  /**
   * A ceremony run by the page's own WebAuthn API with these options (JSON form, as `credential_options`), outside
   * Rampart's pages: a test can change the options first (e.g. drop allowCredentials). The answer in JSON form.
   */
  raw(kind: "create" | "get", options: unknown): Promise<any> {
    return this.page.evaluate(`(${IN_PAGE})(${JSON.stringify({ kind, options })})`);
  }

  /** The credentials the virtual authenticator holds. */
  async credentials(): Promise<VirtualCredential[]> {
    const { credentials } = (await this.cdp.send("WebAuthn.getCredentials", {
      authenticatorId: this.authenticatorId,
    })) as { credentials: VirtualCredential[] };
    return credentials;
  }

  /** Puts a credential back with another signature counter (a lower one = a cloned authenticator's copy). */
  async setSignCount(credentialId: string, signCount: number): Promise<void> {
    const found = (await this.credentials()).find((c) => c.credentialId === credentialId);
    if (!found) throw new Error(`no credential ${credentialId} in the virtual authenticator`);
    await this.cdp.send("WebAuthn.removeCredential", { authenticatorId: this.authenticatorId, credentialId });
    await this.cdp.send("WebAuthn.addCredential", {
      authenticatorId: this.authenticatorId,
      credential: { ...found, signCount },
    });
  }

  /** Copies a credential into another page's authenticator (the same passkey on a second device). */
  async copyTo(other: PasskeyPage, credential: VirtualCredential): Promise<void> {
    await other.cdp.send("WebAuthn.addCredential", { authenticatorId: other.authenticatorId, credential });
  }

  /** Signs in with email and password on the /login page (that sign-in is fresh); waits until it has left /login. */
  async signInWithPassword(email: string, password = PASSWORD): Promise<void> {
    await this.page.goto(`${this.base}/login`);
    await this.page.fill("#email", email);
    await this.page.fill("#password", password);
    await this.page.click("#login-form button[type=submit]");
    await this.page.waitForURL((u) => u.pathname !== "/login");
  }

  /**
   * The next form post to a path starting with `prefix` is held back (answered 204 here) and its body kept: a test can then
   * post it itself, once or many times. Resolves with the request's URL, body and content type.
   */
  interceptPost(prefix: string): Promise<CapturedPost> {
    return new Promise((resolve) => {
      const matcher = (u: URL) => u.pathname.startsWith(prefix);
      let caught = false;
      void this.page.route(matcher, async (route) => {
        const request = route.request();
        if (request.method() !== "POST" || caught) return route.continue();
        caught = true;
        const post = {
          url: request.url(),
          body: request.postData() ?? "",
          contentType: request.headers()["content-type"] ?? "",
        };
        // Held back first: the server never sees this post. A 204 leaves the page where it is (an abort would
        // navigate to an error page later, racing the test's next navigation).
        await route.fulfill({ status: 204 });
        resolve(post);
        await this.page.unroute(matcher).catch(() => undefined);
      });
    });
  }

  /** The next form post to a path starting with `prefix`, seen as it goes out (it is not held back). */
  watchPost(prefix: string): Promise<CapturedPost> {
    return new Promise((resolve) => {
      const listener = (request: PageRequest) => {
        if (request.method() !== "POST" || !new URL(request.url()).pathname.startsWith(prefix)) return;
        this.page.off("request", listener);
        resolve({
          url: request.url(),
          body: request.postData() ?? "",
          contentType: request.headers()["content-type"] ?? "",
        });
      };
      this.page.on("request", listener);
    });
  }

  /** A CSRF token for this context's current cookies (GET /login as JSON). */
  async csrfToken(): Promise<string> {
    const r = await this.context.request.get(`${this.base}/login`, { headers: { accept: "application/json" } });
    return ((await r.json()) as { response: { csrf_token: string } }).response.csrf_token;
  }

  /**
   * Posts a captured body again with this context's cookies; the JSON answer (Accept: application/json). With
   * `freshCsrf`, the body's csrf_token is replaced by one for the current cookies (the captured one was bound to
   * a session that has ended), so what is judged is the ceremony, not the CSRF token.
   */
  async repost(post: CapturedPost, options: { freshCsrf?: boolean } = {}): Promise<{ status: number; json: any }> {
    let body = post.body;
    if (options.freshCsrf) {
      const form = new URLSearchParams(body);
      form.set("csrf_token", await this.csrfToken());
      body = form.toString();
    }
    const response = await this.context.request.post(post.url, {
      headers: { "content-type": post.contentType, accept: "application/json", origin: this.base },
      data: body,
      maxRedirects: 0,
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status(), json };
  }

  async close(): Promise<void> {
    await this.page.unrouteAll({ behavior: "ignoreErrors" });
    await this.context.close();
  }
}

/** Where the guide's screenshots live; they are rewritten only when RAMPART_SCREENSHOTS=1 (CI leaves the tree clean). */
const SHOTS = fileURLToPath(new URL("../../docs/features/passkeys/", import.meta.url));

export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.RAMPART_SCREENSHOTS !== "1") return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

export async function openPasskeyBrowser(options: PasskeyBrowserOptions = {}): Promise<PasskeyBrowser> {
  // The port first: the app's base URL and WebAuthn origin name it. The listener is the reservation; it answers
  // 503 until the app exists.
  let handler: (request: Request) => Promise<Response> = async () => new Response("starting", { status: 503 });
  const server = await serveFetch((request) => handler(request));
  const base = server.base;
  const { config, browser: shared, ...rest } = options;
  const others: { close(): Promise<void> }[] = [];
  let app: TestApp | undefined;
  let browser: Browser | undefined;
  try {
    app = await createTestApp({
      ...rest,
      config: {
        development: true,
        ...config,
        baseUrl: base,
        webauthn: { enabled: true, rpId: "localhost", origins: [base], ...(config?.webauthn as object | undefined) },
      },
    });
    handler = demoApp(app.rampart);
    browser = shared ?? (await launchChromium());
  } catch (error) {
    await app?.close();
    await server.close();
    throw error;
  }
  const theApp = app;
  const theBrowser = browser;
  return {
    app: theApp,
    base,
    browser: theBrowser,
    async open(auth: AuthenticatorOptions = {}) {
      const context = await theBrowser.newContext();
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("WebAuthn.enable");
      const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
        options: {
          protocol: "ctap2",
          transport: "internal",
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: auth.uv ?? true,
          automaticPresenceSimulation: true,
        },
      });
      return new PasskeyPage(base, context, page, cdp, authenticatorId);
    },
    async otherOrigin() {
      const other = await serveDemo(theApp.rampart);
      others.push(other);
      return other.base;
    },
    async close() {
      if (!shared) await theBrowser.close();
      for (const other of others) await other.close();
      await server.close();
      await theApp.close();
    },
  };
}
