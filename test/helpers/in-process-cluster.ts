/**
 * Several Rampart instances in this process sharing one database (behind a fault proxy) and one private Redis
 * (sessions), as `rampart serve` processes behind a load balancer would (test/helpers/cluster.ts runs real
 * processes): for fault tests that cut the database, restore Redis
 * from a snapshot, and check what every instance then accepts.
 */
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import { openDatastore } from "../../src/datastore/open.js";
import { runtimeOf } from "../../src/internal.js";
import { demoApp } from "../../src/server/demo-app.js";
import { TEST_SECRET } from "./app.js";
import { TestClient } from "./client.js";
import { isolatedDatabaseUrl, testServerUrl, type TestDialect } from "./databases.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import { startPrivateRedis, type PrivateRedis } from "./private-redis.js";

export interface Cluster {
  instances: Rampart[];
  proxy: FaultProxy;
  /** The database's own address (not through the proxy), for a test's direct client. */
  databaseUrl: string;
  redis: PrivateRedis;
  logs: string[];
  /** A client of instance `i` (no cookies). */
  client(i: number, fetcher?: (rampart: Rampart) => (r: Request) => Promise<Response>): TestClient;
  /**
   * Puts Redis back to `snapshot` and waits until every instance's session store answers again (Redis restarts;
   * clients reconnect within their reconnect delay).
   */
  restoreRedis(snapshot: string): Promise<void>;
  /** Moves every instance's clock forward. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

export async function startCluster(
  dialect: Exclude<TestDialect, "sqlite">,
  options: {
    instances?: number;
    config?: RampartConfigInput;
    /** Per instance: how many seconds its clock runs ahead of the real one (negative: behind). */
    clockOffsetSeconds?: number[];
  } = {},
): Promise<Cluster> {
  const base = testServerUrl(dialect);
  if (!base) throw new Error(`${dialect} is not configured`);
  const db = await isolatedDatabaseUrl(dialect);
  const migrate = await openDatastore(db.url, { migrate: true, poolSize: 1 });
  await migrate.close();
  const target = new URL(base.replace(/^mariadb:/i, "mysql:"));
  const proxy = await startFaultProxy({
    host: target.hostname,
    port: Number(target.port || (dialect === "postgres" ? 5432 : 3306)),
  });
  const redis = await startPrivateRedis();
  const logs: string[] = [];
  let offsetMs = 0;
  const instances: Rampart[] = [];
  for (let i = 0; i < (options.instances ?? 3); i++) {
    instances.push(
      await createRampart({
        database: proxy.url(db.url),
        redisUrl: `${redis.url}`,
        clock: () => new Date(Date.now() + offsetMs + (options.clockOffsetSeconds?.[i] ?? 0) * 1000),
        logger: {
          info: (m) => logs.push(`[${i}] ${m}`),
          warn: (m) => logs.push(`[${i}] ${m}`),
          error: (m, e) => logs.push(`[${i}] ${m} ${String(e)}`),
        },
        config: {
          secretKey: TEST_SECRET,
          baseUrl: "https://app.test",
          password: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
          ...options.config,
        },
      }),
    );
  }
  return {
    instances,
    proxy,
    databaseUrl: db.url,
    redis,
    logs,
    client: (i, fetcher = demoApp) => new TestClient(fetcher(instances[i]!)),
    async restoreRedis(snapshot) {
      await redis.restore(snapshot);
      const answers = async (r: Rampart) =>
        runtimeOf(r)
          .sessions.findById("none")
          .then(() => true)
          .catch(() => false);
      const back = await eventually(async () => (await Promise.all(instances.map(answers))).every(Boolean), 5000);
      if (!back) throw new Error("Redis did not come back within 5 s of the restore");
    },
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
    async close() {
      proxy.mode("pass");
      for (const r of instances) await r.close().catch(() => undefined);
      await proxy.close();
      await redis.close();
      await db.cleanup();
    },
  };
}

/** The same browser on another instance: a client holding a copy of `from`'s cookies. */
export function sameBrowserOn(cluster: Cluster, i: number, from: TestClient): TestClient {
  const copy = cluster.client(i);
  for (const [k, v] of from.jar) copy.jar.set(k, v);
  return copy;
}

/** Polls `check` until it is true or `ms` pass; returns the last result. */
export async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
