import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../../test/helpers/app.js";
import { RequestContext } from "./context.js";

/** The deferred-work queue: tasks run after the caller returned, drain() waits, a throw is logged and audited. */
describe("deferred work", () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
  });
  after(() => app.close());

  it("runs a task after the caller's turn, drain() waits for it, and a failing task is audited (deferred_failed)", async () => {
    const rt = app.runtime;
    const ctx = new RequestContext(rt, new Request("https://app.test/reset", { method: "POST" }));
    const order: string[] = [];
    rt.deferred.defer(ctx, "first", null, async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      order.push("task");
    });
    rt.deferred.defer(ctx, "broken", null, async () => {
      throw new Error("relay exploded");
    });
    order.push("caller");
    await rt.deferred.drain();
    assert.deepEqual(order, ["caller", "task"]);
    const failed = await app.rampart.api.auditEvents({ event: "deferred_failed" });
    assert.equal(failed.length, 1);
    assert.deepEqual(failed[0]!.details, { task: "broken" });
  });

  it("close() waits for pending work before the datastore closes", async () => {
    const other = await createTestApp();
    const rt = other.runtime;
    const ctx = new RequestContext(rt, new Request("https://app.test/"));
    let done = false;
    rt.deferred.defer(ctx, "late", null, async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await rt.datastore.users.count();
      done = true;
    });
    await other.close();
    assert.equal(done, true);
  });
});
