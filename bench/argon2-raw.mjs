// Raw argon2id throughput on this machine, in its own process: verifies of one stored hash at the server's
// parameters, with as many in flight as the server lets run at once (its hash concurrency cap). Prints JSON.
import { hash, verify } from "@node-rs/argon2";

const [memoryCost, timeCost, parallelism, concurrency, seconds] = process.argv.slice(2).map(Number);
const stored = await hash("bench-Password-9183", {
  algorithm: 2,
  version: 1,
  memoryCost,
  timeCost,
  parallelism,
  outputLen: 32,
});
let done = 0;
let stop = false;

async function lane() {
  while (!stop) {
    if (!(await verify(stored, "bench-Password-9183"))) throw new Error("verify failed");
    done++;
  }
}

// One second of warm-up, then count.
const warm = Date.now() + 1000;
stop = false;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < warm) await verify(stored, "x");
  }),
);
done = 0;
const started = Date.now();
setTimeout(() => (stop = true), seconds * 1000);
await Promise.all(Array.from({ length: concurrency }, lane));
const elapsed = (Date.now() - started) / 1000;
process.stdout.write(JSON.stringify({ hashesPerSecond: done / elapsed, done, seconds: elapsed, concurrency }) + "\n");
