/**
 * Several `rampart serve` processes sharing one database and one Redis, as a scaled-out deployment runs: for
 * tests of what must hold across instances (revocation everywhere, one lock budget) and of an instance killed
 * mid-write. Each cluster gets its own isolated database and uses the Redis it is given: pass a private one
 * (test/helpers/private-redis.ts), so its sessions never meet another test's users of the same id, and it can be
 * stopped, frozen and restored from a snapshot.
 */
import { cliOk, startServe, TEST_SECRET_KEY, type ServeProcess } from "../cli/helpers.js";
import { TestClient } from "./client.js";
import { isolatedDatabaseUrl } from "./databases.js";

export interface Cluster {
  /** The environment every instance runs with (DATABASE_URL, REDIS_URL, SECRET_KEY…). */
  readonly env: Record<string, string>;
  /** Base URL of instance i (changes when it is restarted). */
  url(i: number): string;
  /** A browser-like client pointed at instance i. */
  client(i: number): TestClient;
  /** SIGKILL: the process dies where it is, mid-request if it is in one. */
  kill(i: number): Promise<void>;
  /** Starts instance i again (after kill). */
  restart(i: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(options: {
  size?: number;
  dialect?: "postgres" | "mysql";
  redisUrl: string;
  env?: Record<string, string>;
}): Promise<Cluster> {
  const db = await isolatedDatabaseUrl(options.dialect ?? "postgres");
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: options.redisUrl,
    SECRET_KEY: TEST_SECRET_KEY,
    SESSION_COOKIE_SECURE: "false",
    ...options.env,
  };
  const instances: (ServeProcess | null)[] = [];
  try {
    await cliOk(["migrate"], env);
    instances.push(...(await Promise.all(Array.from({ length: options.size ?? 3 }, () => startServe(env)))));
  } catch (error) {
    await Promise.all(instances.map((p) => p?.stop()));
    await db.cleanup();
    throw error;
  }
  const live = (i: number): ServeProcess => {
    const p = instances[i];
    if (!p) throw new Error(`instance ${i} is not running`);
    return p;
  };
  return {
    env,
    url: (i) => live(i).url,
    client: (i) => new TestClient((r) => fetch(r), live(i).url),
    async kill(i) {
      const p = live(i);
      instances[i] = null;
      const exited = new Promise((resolve) => p.child.once("close", resolve));
      p.child.kill("SIGKILL");
      await exited;
    },
    async restart(i) {
      if (instances[i]) throw new Error(`instance ${i} is running`);
      instances[i] = await startServe(env);
    },
    async close() {
      await Promise.all(instances.map((p) => p?.stop()));
      await db.cleanup();
    },
  };
}
