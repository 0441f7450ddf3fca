/**
 * A start refused after connections were opened (here two routes on one path, found while the routes are mounted,
 * after the database, the session Redis and the counters' Redis are connected) closes them again: a CLI command or
 * a test runner that caught the error must not be kept alive by sockets nobody can close.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { z } from "zod";
import { defineRoute } from "../../src/core/define-route.js";
import { ok } from "../../src/core/outcome.js";
import { createRampart } from "../../src/create-rampart.js";
import { startPrivateRedis } from "../helpers/private-redis.js";

const haveRedis = Boolean(process.env.RAMPART_TEST_REDIS_URL);
if (!haveRedis && process.env.CI) throw new Error("CI run without Redis: this test must run");

const clients = (url: string) => {
  const port = new URL(url).port;
  const list = execFileSync("redis-cli", ["-h", "127.0.0.1", "-p", port, "client", "list"], { encoding: "utf8" });
  return list.split("\n").filter((line) => line.includes("cmd=") && !line.includes("cmd=client|list")).length;
};

describe("a refused start", { skip: !haveRedis && "no Redis configured" }, () => {
  it("closes the Redis connections it opened (sessions and counters)", async () => {
    const redis = await startPrivateRedis();
    after(() => redis.close());
    const route = (id: string) =>
      defineRoute({
        id,
        summary: "the same path twice",
        method: "GET",
        path: "/twice",
        auth: "any",
        output: z.object({}),
        handle: async () => ok({}),
      });
    const feature = { name: "twice", routes: () => [route("first"), route("second")] };
    await assert.rejects(
      createRampart({
        database: "sqlite::memory:",
        redisUrl: redis.url,
        features: [feature as never],
        logger: { info() {}, warn() {}, error() {} },
        config: { secretKey: "s".repeat(40), rateLimit: { store: "redis" } },
      }),
      /twice|declared/,
    );
    // A connection left open has finished connecting by then; closed ones have left the server's list.
    await new Promise((r) => setTimeout(r, 1000));
    const deadline = Date.now() + 2000;
    while (clients(redis.url) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(clients(redis.url), 0, "no connection left open");
  });
  it("a bad mail template override refuses the start with nothing left open", async () => {
    const redis = await startPrivateRedis();
    after(() => redis.close());
    await assert.rejects(
      createRampart({
        database: "sqlite::memory:",
        redisUrl: redis.url,
        logger: { info() {}, warn() {}, error() {} },
        mailTemplates: { "no-such-template": { subject: "Hello" } },
        config: { secretKey: "s".repeat(40), rateLimit: { store: "redis" } },
      }),
      /no-such-template/,
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(clients(redis.url), 0, "no connection left open");
  });
});
