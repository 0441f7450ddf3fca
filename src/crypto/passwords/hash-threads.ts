import { Worker } from "node:worker_threads";

/**
 * argon2 and bcrypt run on a few worker threads that lower their own OS priority (nice 19), calling the
 * libraries' sync functions there. On libuv's pool they ran at normal priority and, with two hashes in
 * flight, took both cores from the event loop: every request queued behind a login storm. A niced thread
 * still uses every idle cycle but yields the CPU as soon as the event loop (or the database) wants it.
 * On Linux (NPTL) setpriority(PRIO_PROCESS, 0) applies to the calling thread only (man 2 setpriority, NOTES).
 *
 * One pool per process, started lazily, as large as the largest `maxConcurrent` any hasher asked for (each
 * hasher's own semaphore still bounds and queues its jobs). Idle workers are unref'd, so they never keep the
 * process alive, and one idle for 30 s ends (a worker costs 10-15 MB of RSS; starting one takes ~20 ms).
 * A worker that dies fails its job and is replaced on the next one.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
if (workerData.nice !== null) { try { require("node:os").setPriority(0, workerData.nice); } catch {} }
const mods = {};
const lib = (name) => (mods[name] ??= import(workerData[name]));
parentPort.on("message", async ({ id, op, a, b }) => {
  try {
    let value;
    if (op === "argon2.hash") value = (await lib("argon2")).hashSync(a, b);
    else if (op === "argon2.verify") value = (await lib("argon2")).verifySync(a, b);
    else if (op === "bcrypt.hash") value = (await lib("bcrypt")).hashSync(Buffer.from(a), b);
    else if (op === "bcrypt.verify") value = (await lib("bcrypt")).verifySync(Buffer.from(a), b);
    else throw new Error("unknown hash operation " + op);
    parentPort.postMessage({ id, value });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

/** Nice value of the hash threads: the lowest priority, so anything else runnable goes first. */
export const HASH_THREAD_NICE = 19;

export type HashOp = "argon2.hash" | "argon2.verify" | "bcrypt.hash" | "bcrypt.verify";

interface Job {
  id: number;
  op: HashOp;
  a: unknown;
  b: unknown;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  idle: NodeJS.Timeout | null;
}

let idleMs = 30_000;
let size = 1;
let nextId = 0;
const slots: Slot[] = [];
const queue: Job[] = [];

/** Makes the pool at least `n` threads large (called with each hasher's maxConcurrent). */
export function reserveHashThreads(n: number): void {
  size = Math.max(size, n);
}

/** Threads running and busy (diagnostics, tests). */
export function hashThreadStats(): { threads: number; busy: number } {
  return { threads: slots.length, busy: slots.filter((s) => s.job !== null).length };
}

/** How long an idle hash thread lives (tests shorten it). */
export function setHashThreadIdleTimeout(ms: number): void {
  idleMs = ms;
}

/** Runs one hash operation on a niced worker thread. Rejects if the worker fails or the library throws. */
export function runOnHashThread(op: HashOp, a: unknown, b: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    queue.push({ id: nextId++, op, a, b, resolve, reject });
    dispatch();
  });
}

/** Terminates every hash thread (idle ones never hold the process open; this is for an orderly shutdown). */
export async function closeHashThreads(): Promise<void> {
  const all = slots.splice(0);
  await Promise.all(all.map((slot) => slot.worker.terminate()));
}

function dispatch(): void {
  while (queue.length > 0) {
    let slot = slots.find((s) => s.job === null);
    if (!slot) {
      if (slots.length >= size) return;
      slot = startWorker();
    }
    assign(slot, queue.shift()!);
  }
}

function assign(slot: Slot, job: Job): void {
  if (slot.idle) clearTimeout(slot.idle);
  slot.idle = null;
  slot.job = job;
  slot.worker.ref();
  try {
    slot.worker.postMessage({ id: job.id, op: job.op, a: job.a, b: job.b });
  } catch (err) {
    slot.job = null;
    slot.worker.unref();
    job.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function startWorker(): Slot {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: {
      // Only Linux applies a nice value to one thread; elsewhere it would lower the whole process.
      nice: process.platform === "linux" ? HASH_THREAD_NICE : null,
      argon2: import.meta.resolve("@node-rs/argon2"),
      bcrypt: import.meta.resolve("@node-rs/bcrypt"),
    },
  });
  const slot: Slot = { worker, job: null, idle: null };
  worker.on("message", (msg: { id: number; value?: unknown; error?: string }) => {
    const job = slot.job;
    if (!job || job.id !== msg.id) return;
    slot.job = null;
    if (msg.error === undefined) job.resolve(msg.value);
    else job.reject(new Error(msg.error));
    if (queue.length > 0) return assign(slot, queue.shift()!);
    worker.unref();
    slot.idle = setTimeout(() => {
      // Out of the pool first, so no job can be handed to a worker that is ending.
      const index = slots.indexOf(slot);
      if (index >= 0) slots.splice(index, 1);
      void worker.terminate();
    }, idleMs);
    slot.idle.unref();
  });
  const fail = (err?: unknown) => {
    if (slot.idle) clearTimeout(slot.idle);
    const index = slots.indexOf(slot);
    if (index >= 0) slots.splice(index, 1);
    const job = slot.job;
    slot.job = null;
    job?.reject(err instanceof Error ? err : new Error("hash worker exited"));
    dispatch();
  };
  worker.on("error", fail);
  worker.on("exit", () => fail());
  worker.unref();
  slots.push(slot);
  return slot;
}
