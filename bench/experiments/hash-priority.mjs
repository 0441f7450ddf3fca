// Experiment (not part of `npm run bench`): probe p99 of a trivial server at 200 req/s while argon2id runs
// on the libuv pool (as Rampart does) or on worker threads at nice 0 / 19. Tests whether lowering the hash
// threads' OS priority protects the event loop on a small machine. Run on a quiet machine:
//   node bench/experiments/hash-priority.mjs
import http from "node:http";
import os from "node:os";
import { Worker } from "node:worker_threads";
import { hash, verify } from "@node-rs/argon2";
import { load } from "../lib/procs.mjs";
const stored = await hash("pw", { memoryCost: 19456, timeCost: 2, parallelism: 1 });
const server = http.createServer((q, s) => {
  s.setHeader("content-type", "application/json");
  s.end('{"ok":true}');
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}`;
let mode = "idle",
  done = 0;
const asyncLane = async () => {
  while (mode === "async") {
    await verify(stored, "pw");
    done++;
  }
};
const SRC = `const { parentPort, workerData } = require("node:worker_threads"); const os = require("node:os");
if (workerData.nice) os.setPriority(0, workerData.nice);
import(workerData.url).then(({ verifySync }) => { parentPort.on("message", (m) => { if (m === "stop") process.exit(0); let n = 0; const end = Date.now() + m; while (Date.now() < end) { verifySync(workerData.stored, "pw"); n++; } parentPort.postMessage(n); }); });`;
const probe = () => load({ mode: "probe", url, path: "/", overallRate: 200, duration: 5, connections: 16 });
for (let rep = 0; rep < 2; rep++) {
  mode = "async";
  done = 0;
  asyncLane();
  {
    const a = await probe();
    mode = "idle";
    console.log("async x1 p99", a.p99.toFixed(2), "hashes/s", (done / 5).toFixed(1));
  }
  mode = "idle";
  console.log("idle p99", (await probe()).p99.toFixed(2));
  mode = "async";
  done = 0;
  asyncLane();
  asyncLane();
  const a = await probe();
  mode = "idle";
  console.log("async x2 p99", a.p99.toFixed(2), "hashes/s", (done / 5).toFixed(1));
  for (const nice of [0, 19]) {
    const ws = [0, 1].map(
      () => new Worker(SRC, { eval: true, workerData: { nice, stored, url: import.meta.resolve("@node-rs/argon2") } }),
    );
    const counts = ws.map((w) => new Promise((r) => w.once("message", r)));
    await new Promise((r) => setTimeout(r, 300));
    ws.forEach((w) => w.postMessage(5500));
    const p = await probe();
    const n = (await Promise.all(counts)).reduce((a, b) => a + b, 0);
    console.log(`workers nice ${nice} p99`, p.p99.toFixed(2), "hashes/s", (n / 5.5).toFixed(1));
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
server.close();
