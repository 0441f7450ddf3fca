/**
 * The fault tools other fault tests rely on: the proxy really cuts and holds traffic, and the private Redis really
 * goes back to a snapshot. A tool that did nothing would make every fault test pass vacuously.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import pg from "pg";
import { testServerUrl } from "../helpers/databases.js";
import { startFaultProxy } from "../helpers/fault-proxy.js";
import { startPrivateRedis } from "../helpers/private-redis.js";

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then((v) => ({ v })), new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms))]);

const pgUrl = testServerUrl("postgres");

test("the fault proxy passes, refuses and freezes PostgreSQL traffic", { skip: !pgUrl }, async () => {
  const target = new URL(pgUrl!);
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
  after(() => proxy.close());
  const client = new pg.Client({ connectionString: proxy.url(pgUrl!) });
  client.on("error", () => undefined);
  await client.connect();
  assert.equal((await client.query("select 1 as one")).rows[0].one, 1);

  proxy.mode("freeze");
  const held = client.query("select 2 as two");
  assert.equal(await within(held, 300), "timeout", "a frozen service answers nothing");
  proxy.mode("pass");
  assert.equal((await held).rows[0].two, 2, "thawing lets the held query through");

  proxy.mode("refuse");
  await assert.rejects(client.query("select 3"), "the open connection is cut");
  const fresh = new pg.Client({ connectionString: proxy.url(pgUrl!) });
  fresh.on("error", () => undefined);
  await assert.rejects(fresh.connect(), "new connections are refused");
  proxy.mode("pass");
  const again = new pg.Client({ connectionString: proxy.url(pgUrl!) });
  await again.connect();
  assert.equal((await again.query("select 4 as four")).rows[0].four, 4);
  await again.end();
});

test("a private Redis restored from a snapshot has the snapshot's data; frozen, it answers nothing", async () => {
  const redis = await startPrivateRedis();
  after(() => redis.close());
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on("error", () => undefined);
  after(() => client.disconnect());
  await client.connect();
  await client.set("k", "old");
  const copy = await redis.snapshot();
  await client.set("k", "new");
  await client.set("only-after", "1");

  await redis.restore(copy);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await client.get("k"), "old");
  assert.equal(await client.get("only-after"), null);

  redis.freeze();
  assert.equal(await within(client.ping(), 300), "timeout");
  redis.thaw();
  assert.equal(await client.ping(), "PONG");
});
