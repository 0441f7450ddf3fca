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

/** The demo app (Rampart's pages + /api/protected) on a loopback port for a browser; `base` is its http origin. */
export async function serveDemo(rampart: Rampart): Promise<{ base: string; close(): Promise<void> }> {
  let server: ServerType;
  const base = await new Promise<string>((resolve) => {
    server = serve({ fetch: demoApp(rampart), port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve(`http://localhost:${info.port}`),
    );
  });
  return { base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The demo app served on loopback with Chromium launched against it; `close()` stops both. */
export async function openDemoInChromium(
  rampart: Rampart,
): Promise<{ base: string; browser: Browser; close(): Promise<void> }> {
  const server = await serveDemo(rampart);
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
