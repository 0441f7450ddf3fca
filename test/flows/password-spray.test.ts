import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import { attachRemoteAddress } from "../../src/core/context.js";

/**
 * The password-spray detector: failures across all accounts and sources within RATE_LIMIT_SPRAY_WINDOW beyond
 * RATE_LIMIT_SPRAY_FAILURES → one `password_spray_detected` event and one `password_spray` audit row per window,
 * and the per-source limits divided by RATE_LIMIT_SPRAY_SOURCE_DIVISOR while it lasts.
 */
const PASSWORD = "correct horse battery";
/**
 * The spray window is real time (the counters' store does not use the app's movable clock): the 26 failures of the
 * first test must land inside it, which took up to ~2.3 s on MariaDB here; 12 s leaves room for a slower machine.
 */
const WINDOW_SECONDS = 12;
const ALICE = "alice.spray+1@Sub.Example.test";

const client = (app: TestApp, peer: string) =>
  new TestClient((request) => app.rampart.fetch(attachRemoteAddress(request, peer)));

async function wrongLogins(app: TestApp, peer: string, n: number, email = ALICE): Promise<number[]> {
  const c = client(app, peer);
  const csrf = await c.csrf();
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      (await c.post("/login", { json: { email, password: `nope-${i}` }, headers: { "x-csrf-token": csrf } })).status,
    );
  return out;
}

/**
 * Every dialect's app starts its spray window first; then each waits for the end of its own window. The waits
 * overlap, so the second phase costs one window, not one per dialect.
 */
describe("password spray detection", () => {
  const apps = new Map<string, TestApp>();
  const detected = new Map<string, unknown[]>();
  /** When each app's spray window had surely begun (just after its first failure was answered). */
  const windowBegun = new Map<string, number>();
  before(async () => {
    for (const dialect of flowDialects()) {
      const app = await createTestApp({
        dialect,
        config: {
          rateLimit: {
            sourceFailures: 6,
            sprayFailures: 20,
            sprayWindowSeconds: WINDOW_SECONDS,
            spraySourceDivisor: 2,
          },
          // The guesses here target one account: its own lockout stays out of the way of the per-source counts.
          lockout: { threshold: 100 },
        },
      });
      apps.set(dialect, app);
      await app.rampart.api.createUser({ email: ALICE, password: PASSWORD });
      const events: unknown[] = [];
      detected.set(dialect, events);
      app.rampart.events.on("password_spray_detected", (e) => void events.push(e));
    }
  });
  after(async () => {
    for (const app of apps.values()) await app.close();
  });

  for (const dialect of flowDialects()) {
    it(`(${dialect}) 20 failures over many sources and accounts: nothing; the 21st: one event, one audit row, sources get 3`, async () => {
      const app = apps.get(dialect)!;
      const events = detected.get(dialect)!;
      for (let s = 0; s < 7; s++) {
        const statuses = await wrongLogins(
          app,
          `198.51.100.${10 + s}`,
          s < 6 ? 3 : 2,
          `someone.${s}-x@corp.example.test`,
        );
        assert.ok(statuses.every((status) => status === 400));
        if (!windowBegun.has(dialect)) windowBegun.set(dialect, Date.now());
      }
      assert.equal(events.length, 0);
      assert.equal((await app.rampart.api.auditEvents({ event: "password_spray" })).length, 0);
      assert.deepEqual(await wrongLogins(app, "198.51.100.30", 1), [400]);
      assert.deepEqual(events, [{ failures: 21, windowSeconds: WINDOW_SECONDS }]);
      const rows = await app.rampart.api.auditEvents({ event: "password_spray" });
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0]!.details, { failures: 21, windowSeconds: WINDOW_SECONDS });
      // While the spray lasts a fresh source is refused after 3 failures instead of 6; a source that already has
      // 3 is refused at once.
      assert.deepEqual(await wrongLogins(app, "192.0.2.77", 4), [400, 400, 400, 429]);
      assert.deepEqual(await wrongLogins(app, "198.51.100.10", 1), [429]);
      assert.equal(events.length, 1, "reported once per window");
    });
  }

  for (const dialect of flowDialects()) {
    it(`(${dialect}) once the spray window ends, the limits are back to normal`, async () => {
      const app = apps.get(dialect)!;
      // Until the window has surely ended, and an instance's one-second reading of the spray state with it.
      const begun = windowBegun.get(dialect);
      assert.ok(begun, "the first test started this app's window");
      await new Promise((r) => setTimeout(r, Math.max(0, begun + WINDOW_SECONDS * 1000 + 1100 - Date.now())));
      const c = client(app, "192.0.2.78");
      const statuses = await wrongLogins(app, "192.0.2.78", 6);
      assert.deepEqual(statuses, [400, 400, 400, 400, 400, 400]);
      const ok = await c.post("/login", {
        json: { email: ALICE, password: PASSWORD },
        headers: { "x-csrf-token": await c.csrf() },
      });
      assert.equal(ok.status, 429, "the 6 failures of this source spent its budget");
    });
  }
});
