// The load generator, always in its own process (never in the server's): runs autocannon with the spec given
// as JSON in argv[2] and prints one JSON line with throughput and latency percentiles.
import { readFileSync } from "node:fs";
import http from "node:http";
import autocannon from "autocannon";

const spec = JSON.parse(process.argv[2]);

function requestSpec() {
  const base = {
    method: spec.method ?? "GET",
    path: spec.path,
    headers: spec.headers ?? {},
    ...(spec.body ? { body: spec.body } : {}),
  };
  if (spec.cookieFile) {
    // Each request carries the next seeded session cookie: every session is used, in turn.
    const tokens = readFileSync(spec.cookieFile, "utf8").split("\n").filter(Boolean);
    let next = 0;
    return [
      {
        ...base,
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, cookie: `${spec.cookieName}=${tokens[next++ % tokens.length]}` },
        }),
      },
    ];
  }
  if (spec.loginUsers) {
    // Logins spread over the whole user population (random user each time), as real traffic would be.
    const { count, password } = spec.loginUsers;
    return [
      {
        ...base,
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ email: `user${1 + Math.floor(Math.random() * count)}@bench.test`, password }),
        }),
      },
    ];
  }
  return [base];
}

function run(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on("error", reject);
  });
}

/**
 * Fixed-rate probe with sub-millisecond latencies (autocannon's histogram counts whole milliseconds, too coarse
 * for a ~1 ms p99). Open loop: request i is sent at start + i/rate whether or not earlier ones answered, and its
 * latency counts from that send (including any wait for a free connection), so a stalled server is charged for
 * every request it delayed (no coordinated omission) while this process's timer slack is not.
 */
async function probe() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections ?? 16 });
  const target = new URL(spec.path, spec.url);
  const latencies = [];
  let failed = 0;
  const total = Math.round(spec.overallRate * spec.duration);
  const one = () =>
    new Promise((resolve) => {
      const due = process.hrtime.bigint();
      const req = http.request(target, { agent, method: "GET", headers: spec.headers ?? {} }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode === 200) latencies.push(Number(process.hrtime.bigint() - due) / 1e6);
          else failed++;
          resolve();
        });
      });
      req.on("error", () => (failed++, resolve()));
      req.end();
    });
  const start = process.hrtime.bigint();
  const step = BigInt(Math.round(1e9 / spec.overallRate));
  const inflight = [];
  for (let i = 0; i < total; i++) {
    const due = start + step * BigInt(i);
    const wait = Number(due - process.hrtime.bigint()) / 1e6;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(one());
  }
  await Promise.all(inflight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? null;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    rps: latencies.length / seconds,
    ok: latencies.length,
    non2xx: failed,
    errors: 0,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: latencies.at(-1) ?? null,
    seconds,
  };
}

if (spec.mode === "probe") {
  process.stdout.write(JSON.stringify(await probe()) + "\n");
  process.exit(0);
}

const options = {
  url: spec.url,
  connections: spec.connections ?? 16,
  pipelining: 1,
  timeout: spec.timeoutSeconds ?? 10,
  requests: requestSpec(),
  ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  ...(spec.amount ? { amount: spec.amount } : { duration: spec.duration ?? 10 }),
};
const warm = spec.warmupSeconds && !spec.amount ? await run({ ...options, duration: spec.warmupSeconds }) : null;
const started = Date.now();
const r = await run(options);
const seconds = (Date.now() - started) / 1000;
const ok = r["2xx"] ?? 0;
process.stdout.write(
  JSON.stringify({
    rps: ok / (spec.amount ? seconds : r.duration),
    requests: r.requests.total,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    seconds: spec.amount ? seconds : r.duration,
    warmupRequests: warm ? warm.requests.total : 0,
  }) + "\n",
);
