import assert from "node:assert/strict";
import { test } from "node:test";
import { HasherBusyError } from "../errors.js";
import { HashSemaphore } from "./semaphore.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("runs at most maxConcurrent jobs, queues up to maxQueue in FIFO order, refuses the rest", async () => {
  const gate = new HashSemaphore(2, 2);
  const started: number[] = [];
  const gates = Array.from({ length: 5 }, deferred);
  const runs = gates.map((g, i) =>
    gate.run(async () => {
      started.push(i);
      await g.promise;
      return i;
    }),
  );
  assert.deepEqual(gate.stats(), { running: 2, queued: 2 });
  await assert.rejects(runs[4]!, HasherBusyError);
  await Promise.resolve();
  assert.deepEqual(started, [0, 1]);
  gates[1]!.resolve();
  assert.equal(await runs[1], 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  assert.deepEqual(gate.stats(), { running: 2, queued: 1 });
  gates[0]!.resolve();
  gates[2]!.resolve();
  gates[3]!.resolve();
  assert.deepEqual(await Promise.all(runs.slice(0, 4)), [0, 1, 2, 3]);
  assert.deepEqual(started, [0, 1, 2, 3]);
  assert.deepEqual(gate.stats(), { running: 0, queued: 0 });
});

test("a failing job frees its slot", async () => {
  const gate = new HashSemaphore(1, 1);
  const failing = gate.run(async () => {
    throw new Error("boom");
  });
  const next = gate.run(async () => "ok");
  await assert.rejects(failing, /boom/);
  assert.equal(await next, "ok");
  assert.deepEqual(gate.stats(), { running: 0, queued: 0 });
});

test("maxQueue 0 refuses anything that cannot start at once", async () => {
  const gate = new HashSemaphore(1, 0);
  const hold = deferred();
  const first = gate.run(() => hold.promise);
  await assert.rejects(
    gate.run(async () => 1),
    HasherBusyError,
  );
  hold.resolve();
  await first;
  assert.equal(await gate.run(async () => 2), 2);
});

test("fair: waiting jobs are served round-robin by their first key, not in arrival order", async () => {
  const gate = new HashSemaphore(1, 10);
  const hold = deferred();
  const order: string[] = [];
  const first = gate.run(() => hold.promise);
  const runs = ["a1", "a2", "a3", "b1", "c1", "b2"].map((name) =>
    gate.run(async () => void order.push(name), [name.slice(0, 1)]),
  );
  hold.resolve();
  await Promise.all([first, ...runs]);
  assert.deepEqual(order, ["a1", "b1", "c1", "a2", "b2", "a3"]);
});

test("fair: a key may have at most maxQueuedPerKey waiting (every key of a job counts)", async () => {
  const gate = new HashSemaphore(1, 10, 2);
  const hold = deferred();
  const first = gate.run(() => hold.promise);
  const a = [gate.run(async () => 1, ["ip:a", "acct:1"]), gate.run(async () => 2, ["ip:a", "acct:2"])];
  await assert.rejects(
    gate.run(async () => 3, ["ip:a"]),
    HasherBusyError,
  );
  const b = gate.run(async () => 4, ["ip:b", "acct:1"]);
  await assert.rejects(
    gate.run(async () => 5, ["ip:c", "acct:1"]),
    HasherBusyError,
    "account 1 has 2 waiting",
  );
  hold.resolve();
  assert.deepEqual(await Promise.all([first, ...a, b]), [undefined, 1, 2, 4]);
});

test("fair: a full queue refuses the busiest key's newest job for a newcomer; not for the busiest key itself", async () => {
  const gate = new HashSemaphore(1, 3);
  const hold = deferred();
  const first = gate.run(() => hold.promise);
  const storm = [1, 2, 3].map((i) => gate.run(async () => i, ["ip:storm"]));
  await assert.rejects(
    gate.run(async () => 4, ["ip:storm"]),
    HasherBusyError,
  );
  const user = gate.run(async () => "user", ["ip:user"]);
  await assert.rejects(storm[2]!, HasherBusyError);
  assert.deepEqual(gate.stats(), { running: 1, queued: 3 });
  hold.resolve();
  assert.deepEqual(await Promise.all([first, storm[0], storm[1], user]), [undefined, 1, 2, "user"]);
});
