// The scenarios run against one database: the standalone server (`rampart serve`) seeded with users, driven by
// load generators in other processes. Every function returns plain figures; run.mjs compares them.
import { join } from "node:path";
import { load, loadWithCpu, rssMb, runJson, sleep, startServer, stopServer } from "./procs.mjs";

export const PASSWORD = "bench-Password-9183";
const SEED = ["--import", "tsx", "bench/seed.ts"];

export function seedUsers(url, total) {
  return runJson([...SEED, url, "users", String(total)]);
}

/** JSON login as FS clients do it: GET /login for the CSRF token (and its anonymous cookie), then POST. */
export async function signIn(base, email) {
  const page = await fetch(`${base}/login`, { headers: { accept: "application/json" } });
  const csrf = (await page.json()).response.csrf_token;
  const anonCookie = page.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const headers = {
    "content-type": "application/json",
    accept: "application/json",
    cookie: anonCookie,
    "x-csrf-token": csrf,
  };
  const res = await fetch(`${base}/login?include_auth_token`, {
    method: "POST",
    headers,
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
  const session = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .find((c) => /rampart_session=./.test(c));
  if (!session) throw new Error("login set no session cookie");
  return { token: body.response.user.authentication_token, sessionCookie: session, loginHeaders: headers };
}

async function expectOk(base, headers, via) {
  const res = await fetch(`${base}/api/protected`, { headers });
  const body = await res.json();
  if (res.status !== 200 || body.response.via !== via)
    throw new Error(`GET /api/protected via ${via}: ${res.status} ${JSON.stringify(body)}`);
}

/** The bare Hono ceiling under the same load as the authenticated GETs. */
export async function measureCeiling(p) {
  const ceiling = await startServer("ceiling", ["bench/ceiling.mjs"], {});
  try {
    const headers = { "authentication-token": "x", accept: "application/json" };
    return await loadWithCpu(ceiling.pid, {
      url: ceiling.url,
      path: "/api/protected",
      headers,
      connections: p.connections,
      duration: p.seconds,
      warmupSeconds: p.warmup,
    });
  } finally {
    await stopServer(ceiling);
  }
}

export function serverEnv(db, extra = {}) {
  return {
    DATABASE_URL: db.url,
    SECRET_KEY: "bench-secret-key-not-for-production-0123456789",
    RAMPART_DEVELOPMENT: "false",
    NODE_ENV: "production",
    // The load generator is one loopback address standing for thousands of users: the per-source budget on
    // credential checks (300 per 15 min by default) would turn most of a login storm into 429s. The limiter
    // itself still runs on every login (its store reads and writes are part of what is measured).
    RATE_LIMIT_SOURCE_ATTEMPTS: "1000000000",
    ...extra,
  };
}

export async function startRampart(db, opts) {
  const nodeArgs = opts.cpuProf
    ? [
        "--cpu-prof",
        `--cpu-prof-dir=${join(opts.outDir, "profiles")}`,
        `--cpu-prof-name=rampart-${db.key}-${Date.now()}.cpuprofile`,
      ]
    : [];
  const entry = opts.fromSource ? ["bin/rampart.mjs", "serve"] : ["bench/serve-built.mjs"];
  return startServer(`rampart serve (${db.key})`, [...nodeArgs, ...entry, "--port", "0"], serverEnv(db));
}

/** Runs every scenario against one database; `p` holds durations and sizes (quick or full). */
export async function runDatabase(db, p, opts, log) {
  const r = { database: db.name };
  const want = (name) => !opts.only || opts.only.includes(name);
  log(`[${db.key}] seeding ${p.smallUsers} users`);
  r.seedSmall = await seedUsers(db.url, p.smallUsers);
  let server = await startRampart(db, opts);
  try {
    r.rssIdleMb = rssMb(server.pid);
    const auth = await signIn(server.url, "user1@bench.test");
    const tokenHeaders = { "authentication-token": auth.token, accept: "application/json" };
    const cookieHeaders = { cookie: auth.sessionCookie, accept: "application/json" };
    await expectOk(server.url, tokenHeaders, "token");
    await expectOk(server.url, cookieHeaders, "session");
    const get = (headers, extra = {}) =>
      loadWithCpu(server.pid, {
        url: server.url,
        path: "/api/protected",
        headers,
        connections: p.connections,
        duration: p.seconds,
        warmupSeconds: p.warmup,
        ...extra,
      });
    const loginStorm = (users, seconds = p.seconds, warmupSeconds = p.warmup) =>
      loadWithCpu(server.pid, {
        url: server.url,
        path: "/login",
        method: "POST",
        headers: auth.loginHeaders,
        loginUsers: { count: users, password: PASSWORD },
        connections: p.loginConnections,
        duration: seconds,
        warmupSeconds,
        timeoutSeconds: 30,
      });

    if (want("token") || want("session")) {
      // The ceiling right next to the figures it divides: the machine's load drifts over minutes.
      log(`[${db.key}] ceiling`);
      r.ceiling = await measureCeiling(p);
    }
    if (want("token")) (log(`[${db.key}] token GET`), (r.tokenGet = await get(tokenHeaders)));
    if (want("session")) (log(`[${db.key}] session GET`), (r.sessionGet = await get(cookieHeaders)));
    if (want("token") || want("session")) {
      // The same requests against the floor (minimum authentication work), with Rampart stopped meanwhile.
      log(`[${db.key}] floor: token and session GET`);
      server.child.kill("SIGSTOP");
      const floor = await startServer(`floor (${db.key})`, ["bench/floor.mjs"], {
        ...serverEnv(db),
        SESSION_COOKIE_NAME: auth.sessionCookie.split("=")[0],
      });
      try {
        const floorGet = (headers) =>
          loadWithCpu(floor.pid, {
            url: floor.url,
            path: "/api/protected",
            headers,
            connections: p.connections,
            duration: p.seconds,
            warmupSeconds: p.warmup,
          });
        if (want("token")) r.floorTokenGet = await floorGet(tokenHeaders);
        if (want("session")) r.floorSessionGet = await floorGet(cookieHeaders);
      } finally {
        await stopServer(floor);
        server.child.kill("SIGCONT");
      }
    }
    if (want("login")) {
      // Raw argon2id right before, so both figures see the same machine load.
      log(`[${db.key}] raw argon2id, then login throughput`);
      r.rawArgon2 = await runJson([
        "bench/argon2-raw.mjs",
        ...[p.hash.memoryCost, p.hash.timeCost, p.hash.parallelism, p.hash.maxConcurrent, p.seconds].map(String),
      ]);
      r.login = await loginStorm(p.smallUsers);
    }
    if (want("hol")) {
      log(`[${db.key}] head-of-line: fixed-rate GET idle, then during a login storm`);
      const probe = {
        mode: "probe",
        url: server.url,
        path: "/api/protected",
        headers: tokenHeaders,
        overallRate: p.probeRate,
        duration: p.seconds,
        connections: 16,
      };
      await load({ ...probe, duration: p.warmup }); // warm-up, discarded
      r.holIdle = await load(probe);
      const storm = loginStorm(p.smallUsers, p.seconds + 3, 0);
      await sleep(1500); // let the storm fill the hash queue first
      r.holStorm = await load(probe);
      r.holStormLogins = await storm;
    }
    if (want("scale")) {
      // The 1,000-user figures again, next to the 100,000-user ones: the machine's load drifts over minutes.
      log(`[${db.key}] token GET and login at ${p.smallUsers} users (again, for the comparison)`);
      r.tokenGetSmall = await get(tokenHeaders);
      r.loginSmall = await loginStorm(p.smallUsers);
      log(`[${db.key}] seeding up to ${p.largeUsers} users`);
      r.seedLarge = await seedUsers(db.url, p.largeUsers);
      log(`[${db.key}] token GET and login at ${p.largeUsers} users`);
      r.tokenGetLarge = await get(tokenHeaders);
      r.loginLarge = await loginStorm(p.largeUsers);
    }
    if (want("memory")) {
      // A fresh server process, so the figure is the sessions' cost and not what earlier scenarios left behind.
      await stopServer(server);
      server = await startRampart(db, opts);
      const file = join(opts.outDir, `sessions-${db.key}.txt`);
      await seedUsers(db.url, p.sessions); // one session per user: enough users first (no-op after "scale")
      log(`[${db.key}] memory: ${p.sessions} sessions, each used once`);
      r.seedSessions = await runJson([...SEED, db.url, "sessions", String(p.sessions), file]);
      r.rssBeforeSessionsMb = rssMb(server.pid);
      const cookieName = auth.sessionCookie.split("=")[0];
      r.sessionsUse = await load({
        url: server.url,
        path: "/api/protected",
        headers: { accept: "application/json" },
        cookieFile: file,
        cookieName,
        amount: p.sessions,
        connections: p.connections,
      });
      r.rssSessionsMb = rssMb(server.pid);
    }
  } finally {
    await stopServer(server);
  }
  return r;
}
