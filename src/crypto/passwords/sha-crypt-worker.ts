import { Worker } from "node:worker_threads";

/**
 * SHA-crypt runs in the `unixcrypt` package, which is synchronous JavaScript: passlib's default 656000 rounds
 * take over a second. So it runs on one lazily started worker thread instead of blocking the event loop.
 * The worker is unref'd while idle, so it never keeps the process alive; if it dies, pending checks are false
 * and the next check starts a new one.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const loaded = import(workerData.moduleUrl);
parentPort.on("message", async ({ id, secret, stored }) => {
  let ok = false;
  try {
    const { verify } = await loaded;
    ok = verify(secret, stored) === true;
  } catch {
    ok = false;
  }
  parentPort.postMessage({ id, ok });
});
`;

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, (ok: boolean) => void>();

function startWorker(): Worker {
  const w = new Worker(WORKER_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: { moduleUrl: import.meta.resolve("unixcrypt") },
    resourceLimits: { maxOldGenerationSizeMb: 256 },
  });
  w.on("message", (msg: { id: number; ok: boolean }) => {
    const done = pending.get(msg.id);
    pending.delete(msg.id);
    done?.(msg.ok === true);
    if (pending.size === 0) w.unref();
  });
  const fail = () => {
    if (worker === w) worker = null;
    for (const done of pending.values()) done(false);
    pending.clear();
  };
  w.on("error", fail);
  w.on("exit", fail);
  w.unref();
  return w;
}

/** unixcrypt.verify(secret, stored) off the main thread. Never rejects: any failure is false. */
export function shaCryptVerify(secret: string, stored: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      worker ??= startWorker();
      const id = nextId++;
      pending.set(id, resolve);
      worker.ref();
      worker.postMessage({ id, secret, stored });
    } catch {
      resolve(false);
    }
  });
}
