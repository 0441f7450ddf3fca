import { existsSync } from "node:fs";
import { serve, type ServerType } from "@hono/node-server";
import { chromium, type Browser } from "playwright-core";
import type { Rampart } from "../../src/create-rampart.js";
import { demoApp } from "../../src/server/demo-app.js";

/** Debian's Chromium, driven by playwright-core (no browser download). CI must have it. */
export const CHROMIUM = "/usr/bin/chromium";

export function chromiumAvailable(): boolean {
  const available = existsSync(CHROMIUM);
  if (!available && process.env.CI) throw new Error("CI run without /usr/bin/chromium: browser tests must run in CI");
  return available;
}

/** Headless, as root, with the background-networking features this closed network refuses turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A fetch handler on a loopback port (0: any free one); `base` is its http origin at `localhost`. */
export async function serveFetch(
  fetch: (request: Request) => Promise<Response> | Response,
  options: { port?: number } = {},
): Promise<{ base: string; port: number; close(): Promise<void> }> {
  let server: ServerType;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch, port: options.port ?? 0, hostname: "127.0.0.1" }, (info) => resolve(info.port));
  });
  return {
    base: `http://localhost:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The demo app (Rampart's pages + /api/protected) on a loopback port (0: any free one) for a browser. */
export function serveDemo(
  rampart: Rampart,
  options: { port?: number } = {},
): Promise<{ base: string; port: number; close(): Promise<void> }> {
  return serveFetch(demoApp(rampart), options);
}

/** The demo app served on loopback (0: any free port) with Chromium launched against it; `close()` stops both. */
export async function openDemoInChromium(
  rampart: Rampart,
  options: { port?: number } = {},
): Promise<{ base: string; browser: Browser; close(): Promise<void> }> {
  const server = await serveDemo(rampart, options);
  const browser = await launchChromium().catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  return {
    base: server.base,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
