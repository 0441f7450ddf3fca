import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../helpers/app.js";

const PASSWORD = "correct horse battery";

describe("a login storm queues and then refuses fast instead of piling up", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({
      config: {
        password: {
          maxConcurrentHashes: 1,
          maxHashQueue: 2,
          argon2: { memoryCost: 8192, timeCost: 2, parallelism: 1 },
        },
        trackable: true,
        // The storm is of one account: the lockout judges at most its threshold of one account's attempts at a
        // time (the others get 429 + Retry-After 1 while they are in flight); raised so this tests the hash queue.
        lockout: { threshold: 100 },
      },
    });
    await app.rampart.api.createUser({ email: "alice@x.test", password: PASSWORD });
  });
  after(() => app.close());

  it("20 concurrent logins: some succeed, the rest get 503 + Retry-After, none 500", async () => {
    const clients = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const c = app.client();
        return { c, csrf: await c.csrf() };
      }),
    );
    const replies = await Promise.all(
      clients.map(({ c, csrf }) =>
        c.post("/login", { json: { email: "alice@x.test", password: PASSWORD }, headers: { "x-csrf-token": csrf } }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 200 || s === 503),
      statuses.join(","),
    );
    assert.ok(statuses.filter((s) => s === 200).length >= 1);
    const busy = replies.filter((r) => r.status === 503);
    assert.ok(busy.length >= 1, "the queue bound was reached");
    for (const r of busy) {
      assert.equal(r.headers.get("retry-after"), "1");
      assert.deepEqual(r.json.response.error_codes, ["SERVICE_BUSY"]);
    }
    const alice = (await app.rampart.api.findUser("alice@x.test"))!;
    assert.equal(alice.loginCount, statuses.filter((s) => s === 200).length, "trackable counted each success once");
  });
});
