/**
 * A sweep that the session store could not do when a change committed, retried later: it deletes the sessions the
 * database no longer accepts (older uniquifier) and keeps one made since with the current uniquifier, whatever
 * the clocks say; until it ran, the instance counts only sessions made up to the failed sweep as covered.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import type { TestClient } from "../../test/helpers/client.js";
import { RedisSessionStore } from "../datastore/redis-sessions.js";
import { sessionSweeps } from "./session-sweeps.js";

const url = process.env.RAMPART_TEST_REDIS_URL;
if (!url && process.env.CI) throw new Error("CI run without RAMPART_TEST_REDIS_URL: Redis tests must run in CI");
const PASSWORD = "correct horse battery";

describe("a session sweep retried once the store answers", { skip: !url && "no Redis configured" }, () => {
  let app: TestApp;
  let store: RedisSessionStore;
  before(async () => {
    store = RedisSessionStore.connect(url!, { prefix: `rampart-sweep:${randomBytes(6).toString("hex")}:` });
    app = await createTestApp({ sessionStore: store });
  });
  after(async () => {
    await app.close();
    await store.close();
  });
  const status = async (c: TestClient) => (await c.get("/api/protected", { acceptJson: true })).status;

  it("deletes the sessions of the old uniquifier, keeps one made after the change", async () => {
    const email = "Sweep.Later+retry@Sub.Example.test";
    const user = await app.rampart.api.createUser({ email, password: PASSWORD });
    const old = app.client();
    assert.equal((await old.login(email, PASSWORD)).status, 200);
    // The change committed (uniquifier rotated) but its sweep failed: the old session is still in the store.
    await app.runtime.datastore.users.rotateUniquifier(user.id);
    const failedAt = app.runtime.now();
    app.advance(5);
    const after = app.client();
    assert.equal((await after.login(email, PASSWORD)).status, 200);
    const [newer, older] = await store.listForUser(user.id);
    assert.ok(newer && older && newer.createdAt > older.createdAt, "both sessions are in the store");

    const sweeps = sessionSweeps(app.runtime);
    sweeps.add(user.id, failedAt);
    assert.equal(sweeps.covers(older), true, "made before the failed sweep");
    assert.equal(sweeps.covers(newer), false, "made after it");
    await sweeps.flush();
    assert.equal(sweeps.size, 0, "done");
    assert.deepEqual(
      (await store.listForUser(user.id)).map((s) => s.id),
      [newer.id],
      "only the session of the current uniquifier is left",
    );
    assert.equal(await status(after), 200);
    assert.equal(await status(old), 401);
  });
});

describe("recent cut-offs taken up at start while Redis is down", () => {
  it("the instance starts at once and serves; the sweeps wait for the store", async () => {
    const { createRampart } = await import("../create-rampart.js");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "rampart-sweep-start-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const quiet = { info() {}, warn() {}, error() {} };
    const base = {
      database: `sqlite://${join(dir, "app.db")}`,
      migrations: "auto" as const,
      logger: quiet,
      config: { secretKey: "s".repeat(40), baseUrl: "https://app.test", redis: { connectTimeoutMs: 1000 } },
    };
    // Five users signed out everywhere a moment ago (the cut-offs an instance takes up at start).
    const first = await createRampart(base);
    for (let i = 0; i < 5; i++) {
      const user = await first.api.createUser({ email: `cut.off-${i}+x@Sub.Example.test`, password: PASSWORD });
      await first.datastore.revocations.revokeUserSessionsBefore(user.id, new Date(), null);
    }
    await first.close();
    // Nothing listens on port 1: the session store never connects.
    const started = Date.now();
    const second = await createRampart({ ...base, redisUrl: "redis://127.0.0.1:1" });
    const tookMs = Date.now() - started;
    try {
      assert.ok(tookMs < 1500, `start took ${tookMs} ms (one connect timeout per user before)`);
      const page = await second.fetch(
        new Request("https://app.test/login", { headers: { accept: "application/json" } }),
      );
      assert.equal(page.status, 200);
    } finally {
      await second.close();
    }
  });
});
