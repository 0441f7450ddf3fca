import { HasherBusyError } from "../errors.js";

/**
 * FIFO gate for CPU/memory-heavy hash jobs: at most `maxConcurrent` run at once, up to `maxQueue` wait in
 * arrival order, and any beyond that are refused at once with HasherBusyError (the HTTP layer answers 503).
 * The decision is taken synchronously when run() is called, so callers see a stable order.
 */
export class HashSemaphore {
  readonly #maxConcurrent: number;
  readonly #maxQueue: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(maxConcurrent: number, maxQueue: number) {
    this.#maxConcurrent = maxConcurrent;
    this.#maxQueue = maxQueue;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running < this.#maxConcurrent) {
      this.#running++;
      return this.#exec(job);
    }
    if (this.#waiting.length >= this.#maxQueue) return Promise.reject(new HasherBusyError());
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() => this.#exec(job));
  }

  stats(): { running: number; queued: number } {
    return { running: this.#running, queued: this.#waiting.length };
  }

  async #exec<T>(job: () => Promise<T>): Promise<T> {
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      // Hand the slot straight to the next waiter (running stays the same) or free it.
      if (next) next();
      else this.#running--;
    }
  }
}
