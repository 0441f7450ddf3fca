import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { viaProxy } from "../helpers/sources.js";

/**
 * A send refused by a later limit spends nothing: while a destination's ceiling is full, its owner's retries do not
 * use up their own source's budget, so once the ceiling clears their reset goes through. Small budgets and a
 * short destination window make the sequence short. The window is real time (the counters' store does not use
 * the app's movable clock): six seconds, several times what the eleven resets before the wait take on a busy
 * database here (~0.9 s), so the ceiling is still full when the owner retries on a slower machine too.
 */
const PASSWORD = "correct horse battery";
const WINDOW_SECONDS = 6;
const OWNER = "Owner.Re-Try+x@Mail.Sub.Example.test";

/**
 * Every dialect's app fills its ceiling first; then each waits for the end of its own window. The waits overlap,
 * so the wait costs one window, not one per dialect.
 */
describe("send limits: refused sends spend nothing", () => {
  const apps = new Map<string, TestApp>();
  /** When each app's destination window began (during its first send: it ends at most WINDOW_SECONDS after). */
  const opened = new Map<string, number>();
  before(async () => {
    for (const dialect of flowDialects()) {
      const app = await createTestApp({
        dialect,
        mail: true,
        config: {
          trustedProxies: ["10.0.0.0/8"],
          returnGenericResponses: true,
          recovery: { enabled: true },
          // 2 per source and destination, a ceiling of 8, 3 per source an hour, the destination's window 6 s.
          rateLimit: {
            sendsPerDestination: 2,
            sendDestinationTotalFactor: 4,
            sendsPerSource: 3,
            sendDestinationWindowSeconds: WINDOW_SECONDS,
          },
        } as never,
      });
      apps.set(dialect, app);
      await app.rampart.api.createUser({ email: OWNER, password: PASSWORD });
    }
  });
  after(async () => {
    for (const app of apps.values()) await app.close();
  });

  const reset = async (app: TestApp, client: string) => {
    const c = viaProxy(app, client);
    return (await c.post("/reset", { json: { email: OWNER }, headers: { "x-csrf-token": await c.csrf() } })).status;
  };
  const owner = "203.0.113.77";

  for (const dialect of flowDialects()) {
    it(`(${dialect}) the owner retries while four strangers hold the ceiling`, async () => {
      const app = apps.get(dialect)!;
      for (const stranger of ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"])
        for (let i = 0; i < 2; i++) {
          assert.equal(await reset(app, stranger), 200);
          if (!opened.has(dialect)) opened.set(dialect, Date.now());
        }
      for (let i = 0; i < 3; i++) assert.equal(await reset(app, owner), 429, "the ceiling is full");
    });
  }

  for (const dialect of flowDialects()) {
    it(`(${dialect}) once the ceiling clears, the owner's reset is sent`, async () => {
      const app = apps.get(dialect)!;
      const begun = opened.get(dialect);
      assert.ok(begun, "the first test filled this app's ceiling");
      await new Promise((r) => setTimeout(r, Math.max(0, begun + WINDOW_SECONDS * 1000 + 100 - Date.now())));
      assert.equal(await reset(app, owner), 200, "the owner's own budget was not spent by refused requests");
    });
  }
});
