import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { TestClient } from "../helpers/client.js";
import { attachRemoteAddress } from "../../src/core/context.js";

/**
 * A login storm must not starve real users: the hash queue serves sources round-robin, caps what one source may
 * have waiting, and when full refuses the busiest source's newest job for a newcomer. 300 concurrent logins from
 * one source against a real user from another IP logging in every ~200 ms: the user's logins succeed (counted,
 * not timed). The per-source limits are raised so that only the queue is under test. The queue is in memory, not
 * in the database: SQLite only.
 */
const PASSWORD = "correct horse battery";
const REAL = "real.user-1+storm@Sub.Example.test";
const ATTACKERS = 300;
const ATTEMPTS = 40;

const from = (app: TestApp, peer: string) =>
  new TestClient((request) => app.rampart.fetch(attachRemoteAddress(request, peer)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("fair hashing under a login storm", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({
      config: {
        password: {
          maxConcurrentHashes: 2,
          maxHashQueue: 64,
          argon2: { memoryCost: 4096, timeCost: 2, parallelism: 1 },
        },
        rateLimit: { store: "memory", sourceFailures: 1_000_000, sourceAttempts: 1_000_000, sprayFailures: 1_000_000 },
      },
    });
    await app.rampart.api.createUser({ email: REAL, password: PASSWORD });
  });
  after(() => app.close());

  it(`${ATTACKERS} concurrent logins from one source; a real user from another IP succeeds ≥ 95 % of ${ATTEMPTS} tries`, async () => {
    const attacker = from(app, "198.51.100.1");
    const csrf = await attacker.csrf();
    let storming = true;
    const attackerStatuses = new Map<number, number>();
    const storm = Array.from({ length: ATTACKERS }, async (_, n) => {
      for (let i = 0; storming; i++) {
        const r = await attacker.post("/login", {
          json: { email: `bot.${n}.${i}@stuffing.example.test`, password: `guess-${i}` },
          headers: { "x-csrf-token": csrf },
        });
        attackerStatuses.set(r.status, (attackerStatuses.get(r.status) ?? 0) + 1);
        // A refused request comes back at once: a short pause keeps this one process from spinning.
        if (r.status !== 400) await sleep(20);
      }
    });
    await sleep(500); // the storm is under way and the queue full

    const real: number[] = [];
    for (let i = 0; i < ATTEMPTS; i++) {
      const user = from(app, "203.0.113.9");
      const userCsrf = await user.csrf();
      const r = await user.post("/login", {
        json: { email: REAL, password: PASSWORD },
        headers: { "x-csrf-token": userCsrf },
      });
      real.push(r.status);
      await sleep(200);
    }
    storming = false;
    await Promise.all(storm);

    const ok = real.filter((s) => s === 200).length;
    const figure = `real user: ${ok}/${ATTEMPTS} signed in; attacker answers: ${JSON.stringify(Object.fromEntries(attackerStatuses))}`;
    console.log(`hash fairness: ${figure}`);
    assert.ok((attackerStatuses.get(503) ?? 0) > 0, `the queue was full (${figure})`);
    assert.ok(ok >= Math.ceil(ATTEMPTS * 0.95), figure);
    assert.ok(
      real.every((s) => s === 200 || s === 503),
      figure,
    );
  });
});
