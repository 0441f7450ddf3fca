/**
 * Several Rampart instances in this process sharing one database (behind a fault proxy) and one private Redis
 * (sessions), as `rampart serve` processes behind a load balancer would (test/helpers/cluster.ts runs real
 * processes): for fault tests that cut the database, restore Redis
 * from a snapshot, and check what every instance then accepts.
 */
import { createRampart, type Rampart } from "../../src/create-rampart.js";
import { featureMigrations } from "../../src/features/builtin.js";
import type { RampartConfigInput } from "../../src/core/config/index.js";
import { openDatastore } from "../../src/datastore/open.js";
import { runtimeOf } from "../../src/internal.js";
import { demoApp } from "../../src/server/demo-app.js";
import { TEST_SECRET } from "./app.js";
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { TestClient, type Reply } from "./client.js";
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
  /** Closes instance `i` (as a stopped process) and starts a new one in its place (same options). */
  restart(i: number): Promise<void>;
  /** Moves every instance's clock forward. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** How many instances (default 3). */
  instances?: number;
  config?: RampartConfigInput;
  /** Per instance: how many seconds its clock runs ahead of the real one (negative: behind). */
  clockOffsetSeconds?: number[];
}

export async function startCluster(
  dialect: Exclude<TestDialect, "sqlite">,
  options: ClusterOptions = {},
): Promise<Cluster> {
  const base = testServerUrl(dialect);
  if (!base) throw new Error(`${dialect} is not configured`);
  const db = await isolatedDatabaseUrl(dialect);
  const migrate = await openDatastore(db.url, { poolSize: 1 });
  await migrate.migrations.migrateToLatest(await featureMigrations());
  await migrate.close();
  const target = new URL(base.replace(/^mariadb:/i, "mysql:"));
  const proxy = await startFaultProxy({
    host: target.hostname,
    port: Number(target.port || (dialect === "postgres" ? 5432 : 3306)),
  });
  const redis = await startPrivateRedis();
  const logs: string[] = [];
  let offsetMs = 0;
  const start = (i: number) =>
    createRampart({
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
    });
  const instances: Rampart[] = [];
  for (let i = 0; i < (options.instances ?? 3); i++) instances.push(await start(i));
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
    async restart(i) {
      await instances[i]!.close();
      instances[i] = await start(i);
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

/** The password of every user the cluster tests create. */
export const CLUSTER_PASSWORD = "correct horse battery";

/** The dialects a cluster runs on, and the `skip` of a suite whose dialect is not configured. */
export const CLUSTER_DIALECTS = ["postgres", "mysql"] as const;
export const skipUnlessConfigured = (dialect: Exclude<TestDialect, "sqlite">): false | string =>
  !testServerUrl(dialect) && `${dialect} not configured`;

/**
 * Inside a describe: starts a cluster before its tests and closes it after them. The cluster returned stands for
 * the one started (use it inside tests and hooks, once `before` ran).
 */
export function useCluster(
  dialect: Exclude<TestDialect, "sqlite">,
  /** Or a function giving them when the cluster starts (e.g. the port of a sink started in an earlier before). */
  options: ClusterOptions | (() => ClusterOptions) = {},
): Cluster {
  let started: Cluster | undefined;
  before(async () => {
    started = await startCluster(dialect, typeof options === "function" ? options() : options);
  });
  after(async () => {
    await started?.close();
  });
  return new Proxy({} as Cluster, {
    get(_, key) {
      if (!started) throw new Error("the cluster starts in before(): use it inside tests and hooks");
      return Reflect.get(started, key);
    },
  });
}

/** The demo app plus a guarded POST /api/write, as an app's write behind `guards.check` would be. */
export function appWithWrite(rampart: Rampart): (request: Request) => Promise<Response> {
  const app = demoApp(rampart);
  return async (request: Request) => {
    if (new URL(request.url).pathname === "/api/write" && request.method === "POST") {
      const outcome = await rampart.guards.check(request, rampart.guards.loginRequired());
      return outcome.ok ? new Response("{}", { status: 200 }) : outcome.response;
    }
    return app(request);
  };
}

/** A signed-in browser: its client (on `appWithWrite`) and the CSRF token its sign-in answered. */
export interface Browser {
  client: TestClient;
  csrf: string;
}

/** Signs `email` in (JSON, CLUSTER_PASSWORD, `extra` fields such as remember) on instance `i`; must succeed. */
export async function signInOn(
  cluster: Cluster,
  email: string,
  i: number,
  extra: Record<string, unknown> = {},
): Promise<Browser> {
  const client = cluster.client(i, appWithWrite);
  const login = await client.login(email, CLUSTER_PASSWORD, extra);
  assert.equal(login.status, 200, login.body);
  return { client, csrf: login.json.response.csrf_token as string };
}

/** POST /logout as JSON with the browser's CSRF token. */
export function logoutOf(b: Browser): Promise<Reply> {
  return b.client.post("/logout", { json: {}, headers: { "x-csrf-token": b.csrf }, acceptJson: true });
}

/** The same browser on another instance: a client holding a copy of `from`'s cookies. */
export function sameBrowserOn(
  cluster: Cluster,
  i: number,
  from: TestClient,
  fetcher?: (rampart: Rampart) => (r: Request) => Promise<Response>,
): TestClient {
  const copy = cluster.client(i, fetcher);
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
