/**
 * Reaches a Rampart instance's internals (config, datastore, services, hasher, deferred work…) for Rampart's own
 * adapters, CLI, server and tests. Not re-exported from the package entry: apps use `api`, `guards` and `events`.
 */
import type { Rampart } from "./create-rampart.js";
import type { Runtime } from "./core/runtime.js";

const runtimes = new WeakMap<object, Runtime>();

/** Called once by createRampart for the object it returns. */
export function attachRuntime(rampart: object, runtime: Runtime): void {
  runtimes.set(rampart, runtime);
}

export function runtimeOf(rampart: Pick<Rampart, "fetch">): Runtime {
  const runtime = runtimes.get(rampart);
  if (!runtime) throw new TypeError("not a Rampart instance created by createRampart");
  return runtime;
}
