import { HasherBusyError } from "../errors.js";

/**
 * Gate for CPU/memory-heavy hash jobs: at most `maxConcurrent` run at once, up to `maxQueue` wait, and any
 * beyond are refused at once with HasherBusyError (the HTTP layer answers 503).
 *
 * Fair between callers: each job may name keys (the caller's source, its account…). Waiting jobs queue per their
 * first key and a freed slot goes round-robin between those queues, so one source's storm of requests cannot make
 * everyone else wait behind it. No key may have more than `maxQueuedPerKey` jobs waiting. When the whole queue is
 * full, a job from a shorter queue takes the place of the newest job of the longest one (which is refused):
 * the busiest caller sheds load, not the newcomer. Jobs without keys share one queue, in arrival order.
 * The decision is taken synchronously when run() is called, so callers see a stable order.
 */
interface Waiter {
  keys: readonly string[];
  start: () => void;
  refuse: (error: Error) => void;
}

export class HashSemaphore {
  readonly #maxConcurrent: number;
  readonly #maxQueue: number;
  readonly #maxPerKey: number;
  #running = 0;
  #queued = 0;
  /** Waiting jobs by first key; the map's order is the round-robin ring. */
  readonly #queues = new Map<string, Waiter[]>();
  /** Waiting jobs per key (every key of a job). */
  readonly #perKey = new Map<string, number>();

  constructor(maxConcurrent: number, maxQueue: number, maxQueuedPerKey = maxQueue) {
    this.#maxConcurrent = maxConcurrent;
    this.#maxQueue = maxQueue;
    this.#maxPerKey = maxQueuedPerKey;
  }

  run<T>(job: () => Promise<T>, keys: readonly string[] = []): Promise<T> {
    if (this.#running < this.#maxConcurrent) {
      this.#running++;
      return this.#exec(job);
    }
    if (keys.some((k) => (this.#perKey.get(k) ?? 0) >= this.#maxPerKey)) return Promise.reject(new HasherBusyError());
    if (this.#queued >= this.#maxQueue && !this.#shedFor(keys[0] ?? "")) return Promise.reject(new HasherBusyError());
    return new Promise<void>((start, refuse) => this.#enqueue({ keys, start, refuse })).then(() => this.#exec(job));
  }

  stats(): { running: number; queued: number } {
    return { running: this.#running, queued: this.#queued };
  }

  #enqueue(waiter: Waiter): void {
    const first = waiter.keys[0] ?? "";
    const queue = this.#queues.get(first);
    if (queue) queue.push(waiter);
    else this.#queues.set(first, [waiter]);
    for (const k of waiter.keys) this.#perKey.set(k, (this.#perKey.get(k) ?? 0) + 1);
    this.#queued++;
  }

  #forget(waiter: Waiter): void {
    for (const k of waiter.keys) {
      const n = (this.#perKey.get(k) ?? 1) - 1;
      if (n > 0) this.#perKey.set(k, n);
      else this.#perKey.delete(k);
    }
    this.#queued--;
  }

  /** The queue is full: refuses the newest job of the longest queue if it is longer than `first`'s would be. */
  #shedFor(first: string): boolean {
    let longest: [string, Waiter[]] | null = null;
    for (const entry of this.#queues) if (!longest || entry[1].length > longest[1].length) longest = entry;
    const own = this.#queues.get(first)?.length ?? 0;
    if (!longest || longest[1].length <= own + 1) return false;
    const victim = longest[1].pop()!;
    if (longest[1].length === 0) this.#queues.delete(longest[0]);
    this.#forget(victim);
    victim.refuse(new HasherBusyError());
    return true;
  }

  /** The next waiter, round-robin between the queues. */
  #next(): Waiter | undefined {
    const entry = this.#queues.entries().next();
    if (entry.done) return undefined;
    const [first, queue] = entry.value;
    const waiter = queue.shift()!;
    // Rotate: this queue goes to the back of the ring (or away when empty).
    this.#queues.delete(first);
    if (queue.length) this.#queues.set(first, queue);
    this.#forget(waiter);
    return waiter;
  }

  async #exec<T>(job: () => Promise<T>): Promise<T> {
    try {
      return await job();
    } finally {
      const next = this.#next();
      // Hand the slot straight to the next waiter (running stays the same) or free it.
      if (next) next.start();
      else this.#running--;
    }
  }
}
