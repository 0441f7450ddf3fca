import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, flowDialects, type TestApp } from "../helpers/app.js";
import { viaProxy } from "../helpers/sources.js";

/**
 * A send refused by a later limit spends nothing: while a destination's ceiling is full, its owner's retries do not
 * use up their own source's budget, so once the ceiling clears their reset goes through. Small budgets and a
 * two-second destination window make the sequence short.
 */
const PASSWORD = "correct horse battery";
const OWNER = "Owner.Re-Try+x@Mail.Sub.Example.test";

for (const dialect of flowDialects()) {
  describe(`send limits: refused sends spend nothing (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({
        dialect,
        mail: true,
        config: {
          trustedProxies: ["10.0.0.0/8"],
          returnGenericResponses: true,
          recovery: { enabled: true },
          // 2 per source and destination, a ceiling of 8, 3 per source an hour, the destination's window 2 s.
          rateLimit: {
            sendsPerDestination: 2,
            sendDestinationTotalFactor: 4,
            sendsPerSource: 3,
            sendDestinationWindowSeconds: 2,
          },
        } as never,
      });
      await app.rampart.api.createUser({ email: OWNER, password: PASSWORD });
    });
    after(() => app.close());

    const reset = async (client: string) => {
      const c = viaProxy(app, client);
      return (await c.post("/reset", { json: { email: OWNER }, headers: { "x-csrf-token": await c.csrf() } })).status;
    };

    it("the owner retries while four strangers hold the ceiling; once it clears, the owner's reset is sent", async () => {
      for (const stranger of ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"])
        for (let i = 0; i < 2; i++) assert.equal(await reset(stranger), 200);
      const owner = "203.0.113.77";
      for (let i = 0; i < 3; i++) assert.equal(await reset(owner), 429, "the ceiling is full");
      await new Promise((r) => setTimeout(r, 2100));
      assert.equal(await reset(owner), 200, "the owner's own budget was not spent by refused requests");
    });
  });
}
