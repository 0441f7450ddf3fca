/**
 * Several `rampart serve` processes sharing one database and one Redis, as a scaled-out deployment runs: for
 * tests of what must hold across instances (revocation everywhere, one lock budget) and of an instance killed
 * mid-write. Each cluster gets its own isolated database and uses the Redis it is given: pass a private one
 * (test/helpers/private-redis.ts), so its sessions never meet another test's users of the same id, and it can be
 * stopped, frozen and restored from a snapshot.
 */
import assert from "node:assert/strict";
import { cliOk, runCli, startServe, TEST_SECRET_KEY, type ServeProcess } from "../cli/helpers.js";
import { TestClient, type Reply } from "./client.js";
import { isolatedDatabaseUrl } from "./databases.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";

export interface Cluster {
  /** The environment every instance runs with (DATABASE_URL, REDIS_URL, SECRET_KEY…). */
  readonly env: Record<string, string>;
  /** The same with DATABASE_URL reaching the database directly (not through the proxy), for the CLI. */
  readonly directEnv: Record<string, string>;
  /** How many instances. */
  readonly size: number;
  /** The proxy between the instances and the database, when started with `databaseProxy`. */
  readonly proxy: FaultProxy | null;
  /** Base URL of instance i (changes when it is restarted). */
  url(i: number): string;
  /** A browser-like client pointed at instance i. */
  client(i: number): TestClient;
  /** What instance i has written to stdout and stderr so far (its log). */
  log(i: number): string;
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
  /** The instances reach the database through a fault proxy (test/helpers/fault-proxy.ts) that can cut or freeze it. */
  databaseProxy?: boolean;
}): Promise<Cluster> {
  const db = await isolatedDatabaseUrl(options.dialect ?? "postgres");
  const target = new URL(db.url);
  const proxy = options.databaseProxy
    ? await startFaultProxy({
        host: target.hostname,
        port: Number(target.port || (options.dialect === "mysql" ? 3306 : 5432)),
      })
    : null;
  const env: Record<string, string> = {
    DATABASE_URL: proxy ? proxy.url(db.url) : db.url,
    REDIS_URL: options.redisUrl,
    SECRET_KEY: TEST_SECRET_KEY,
    SESSION_COOKIE_SECURE: "false",
    ...options.env,
  };
  const directEnv = { ...env, DATABASE_URL: db.url };
  const instances: (ServeProcess | null)[] = [];
  try {
    await cliOk(["migrate"], directEnv);
    // Settled, not all: when one fails to start, the others that did are stopped too (else they outlive the test).
    const started = await Promise.allSettled(Array.from({ length: options.size ?? 3 }, () => startServe(env)));
    for (const s of started) instances.push(s.status === "fulfilled" ? s.value : null);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
  } catch (error) {
    await Promise.all(instances.map((p) => p?.stop()));
    await proxy?.close();
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
    directEnv,
    proxy,
    size: instances.length,
    url: (i) => live(i).url,
    client: (i) => new TestClient((r) => fetch(r), live(i).url),
    log(i) {
      const { stdout, stderr } = live(i).output();
      return stdout + stderr;
    },
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
      proxy?.mode("pass");
      await Promise.all(instances.map((p) => p?.stop()));
      await proxy?.close();
      await db.cleanup();
    },
  };
}

/** JSON /login with its CSRF token on instance i, as an SPA behind a balancer that sent it there. */
export async function loginOn(
  cluster: Cluster,
  i: number,
  identity: Record<string, string>,
  password: string,
): Promise<Reply> {
  const c = cluster.client(i);
  const csrf = await c.csrf();
  return c.post("/login", { json: { ...identity, password }, headers: { "x-csrf-token": csrf } });
}

/**
 * The lock budget is one for the whole cluster: wrong passwords for one account sent at once, round-robin over
 * the instances and over every spelling of its identity (email in any case, username), are judged exactly
 * `threshold` times in total, the rest refused 429; then every instance refuses even the right password, until
 * `rampart users unlock` — after which it works on any instance.
 */
export async function assertOneLockBudget(
  cluster: Cluster,
  account: { email: string; username: string; password: string },
  threshold: number,
): Promise<{ judged: number; refused: number }> {
  const size = cluster.size;
  const spellings: Record<string, string>[] = [
    { email: account.email.toUpperCase() },
    { username: account.username },
    { email: account.email.toLowerCase() },
    { username: account.username.toUpperCase() },
    { email: account.email },
  ];
  const guesses = 4 * size;
  const answers = await Promise.all(
    Array.from({ length: guesses }, (_, n) =>
      loginOn(cluster, n % size, spellings[n % spellings.length]!, `wrong ${n}`),
    ),
  );
  const statuses = answers.map((a) =>
    a.status === 400 || a.status === 429
      ? a.status
      : `${a.status} (Retry-After ${a.headers.get("retry-after")}) ${a.body}`,
  );
  const judged = answers.filter((a) => a.status === 400).length;
  const refused = answers.filter((a) => a.status === 429 && Number(a.headers.get("retry-after")) >= 1).length;
  // A 503 names its dependency in the instance's log: shown with a failure.
  const faults = Array.from({ length: size }, (_, i) => cluster.log(i))
    .join("\n")
    .split("\n")
    .filter((l) => l.includes("answered 503"));
  const seen = `${statuses.join(",")}\n${faults.join("\n")}`;
  assert.equal(judged, threshold, `judged ${judged} of ${guesses} guesses: ${seen}`);
  assert.equal(refused, guesses - threshold, `the rest 429 with Retry-After: ${seen}`);
  for (let i = 0; i < size; i++) {
    const right = await loginOn(cluster, i, spellings[i % spellings.length]!, account.password);
    assert.equal(right.status, 429, `instance ${i}: the right password is refused while locked: ${right.body}`);
    assert.deepEqual(right.json.response.error_codes, ["LOCKED_OUT"]);
  }
  const unlocked = await runCli(["users", "unlock", account.email], cluster.env);
  assert.equal(unlocked.code, 0, unlocked.stderr);
  assert.match(unlocked.stdout, /has been unlocked/);
  for (let i = 0; i < size; i++) {
    const right = await loginOn(cluster, i, spellings[(i + 1) % spellings.length]!, account.password);
    assert.equal(right.status, 200, `instance ${i} after the unlock: ${right.body}`);
  }
  return { judged, refused };
}
