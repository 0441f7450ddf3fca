import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DependencyUnavailableError } from "../../core/errors.js";
import { databaseFault } from "./faults.js";
import { isRetryableConflict, withConflictRetry } from "./retry.js";

describe("deadlock retry", () => {
  it("recognizes MySQL and PostgreSQL deadlock/serialization errors only", () => {
    assert.equal(isRetryableConflict({ errno: 1213, code: "ER_LOCK_DEADLOCK" }), true);
    assert.equal(isRetryableConflict({ code: "40P01" }), true);
    assert.equal(isRetryableConflict({ code: "40001" }), true);
    assert.equal(isRetryableConflict({ errno: 1062, code: "ER_DUP_ENTRY" }), false);
    assert.equal(isRetryableConflict(new Error("boom")), false);
    assert.equal(isRetryableConflict(null), false);
  });

  it("runs a deadlock victim again and gives up after the last attempt", async () => {
    let calls = 0;
    const value = await withConflictRetry(async () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error("deadlock"), { errno: 1213 });
      return "done";
    });
    assert.equal(value, "done");
    assert.equal(calls, 3);
    let tries = 0;
    await assert.rejects(
      withConflictRetry(async () => {
        tries++;
        throw Object.assign(new Error("deadlock"), { code: "40P01" });
      }, 2),
      /deadlock/,
    );
    assert.equal(tries, 2);
    let other = 0;
    await assert.rejects(
      withConflictRetry(async () => {
        other++;
        throw new Error("not a conflict");
      }),
      /not a conflict/,
    );
    assert.equal(other, 1, "other errors are not retried");
  });

  it("a deadlock the driver reported as a dependency failure is still retried; exhausted, it stays one (a 503)", async () => {
    let calls = 0;
    const error = await withConflictRetry(async () => {
      calls++;
      const deadlock = Object.assign(new Error("Deadlock found"), { errno: 1213, code: "ER_LOCK_DEADLOCK" });
      throw databaseFault("mysql", deadlock);
    }, 3).catch((e: unknown) => e);
    assert.equal(calls, 3);
    assert.ok(error instanceof DependencyUnavailableError, String(error));
  });
});
