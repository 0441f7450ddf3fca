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
