import { execFileSync } from "node:child_process";
import type { TestApp } from "./app.js";

/**
 * A test app with its clock readable in whole seconds, and authenticator codes from the `oathtool` CLI (an
 * independent TOTP implementation, never our generator) at that clock.
 */
export interface ClockedApp {
  app: TestApp;
  /** The app's clock in whole seconds. */
  nowSeconds(): number;
  advance(seconds: number): void;
}

export function clocked(app: TestApp): ClockedApp {
  let offset = 0;
  return {
    app,
    nowSeconds: () => Math.floor((Date.now() + offset * 1000) / 1000),
    advance(seconds) {
      offset += seconds;
      app.advance(seconds);
    },
  };
}

/** The authenticator code for a base32 `secret` at the app's time (+ shift seconds). */
export function oathCode(t: ClockedApp, secret: string, shiftSeconds = 0): string {
  return execFileSync("oathtool", ["--totp", "-b", secret, "-N", `@${t.nowSeconds() + shiftSeconds}`], {
    encoding: "utf8",
  }).trim();
}

/** Moves the app clock to the start of the next 30-second step (so a test's codes stay in one step). */
export function toStepStart(t: ClockedApp): void {
  t.advance(30 - (t.nowSeconds() % 30));
}

function oathtoolAvailable(): boolean {
  try {
    execFileSync("oathtool", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const HAVE_OATHTOOL = oathtoolAvailable();
if (!HAVE_OATHTOOL && process.env.CI)
  throw new Error("oathtool is required in CI (scripts/services.sh installs it: apt-get install -y oathtool)");
/** `skip` option for tests that need the oathtool CLI (never skipped in CI). */
export const oathtoolSkip: false | string = HAVE_OATHTOOL
  ? false
  : "oathtool not installed (apt-get install -y oathtool)";

/** oathtool's TOTP code for a base32 secret (at `atSeconds`, else now), with extra flags (e.g. -d 8). */
export function oathtool(secret: string, atSeconds?: number, extra: string[] = []): string {
  const args = ["--totp", "-b", ...extra, secret];
  if (atSeconds !== undefined) args.push("-N", `@${atSeconds}`);
  return execFileSync("oathtool", args, { encoding: "utf8" }).trim();
}
