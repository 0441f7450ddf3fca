/**
 * Which database failures open the outage read path: a connection that failed (refused, reset, lost, a connect
 * timeout) does; a database that is only busy (a full pool, a wait for a free connection, a lock wait, a statement
 * timeout, out of connections) does not, though both are unavailable (503).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { databaseFault, poolQueueFull, type DriverName } from "../datastore/kysely/faults.js";
import { DependencyUnavailableError } from "./errors.js";
import { isDatabaseOutage, isDatabaseUnreachable } from "./outage.js";

const driverError = (message: string, fields: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), fields);

const UNREACHABLE: [DriverName, Error][] = [
  ["postgres", driverError("connect ECONNREFUSED 127.0.0.1:5432", { code: "ECONNREFUSED" })],
  ["postgres", driverError("read ECONNRESET", { code: "ECONNRESET" })],
  ["postgres", driverError("Connection terminated unexpectedly")],
  ["postgres", driverError("Connection terminated due to connection timeout")],
  ["postgres", driverError("terminating connection due to administrator command", { code: "57P01" })],
  ["mysql", driverError("Connection lost: The server closed the connection.", { code: "PROTOCOL_CONNECTION_LOST" })],
  ["mysql", driverError("connect ECONNREFUSED 127.0.0.1:3306", { code: "ECONNREFUSED" })],
];

const BUSY: [DriverName, Error][] = [
  ["postgres", driverError("timeout exceeded when trying to connect")],
  ["postgres", driverError("canceling statement due to statement timeout", { code: "57014" })],
  ["postgres", driverError("canceling statement due to lock timeout", { code: "55P03" })],
  ["postgres", driverError("sorry, too many clients already", { code: "53300" })],
  ["mysql", driverError("Timeout acquiring a connection", { code: "POOL_WAIT_TIMEOUT" })],
  ["mysql", driverError("Queue limit reached.")],
  ["mysql", driverError("Lock wait timeout exceeded", { code: "ER_LOCK_WAIT_TIMEOUT" })],
  ["mysql", driverError("Query execution was interrupted (max_statement_time exceeded)", { errno: 1969 })],
  ["mysql", driverError("Too many connections", { code: "ER_CON_COUNT_ERROR" })],
];

describe("a database outage, as the session read path judges it", () => {
  it("a failed connection is unreachable (outage reads may be served)", () => {
    for (const [driver, raw] of UNREACHABLE) {
      const classified = databaseFault(driver, raw);
      assert.ok(classified instanceof DependencyUnavailableError, `${driver}: ${raw.message}`);
      assert.equal(isDatabaseOutage(classified), true, raw.message);
      assert.equal(isDatabaseUnreachable(classified), true, `${driver}: ${raw.message}`);
      assert.equal(isDatabaseUnreachable(raw), true, `unclassified, ${driver}: ${raw.message}`);
    }
  });

  it("a busy database is unavailable but not unreachable (no outage reads), classified or not, also wrapped by another dependency", () => {
    for (const [driver, raw] of [...BUSY, ["mysql", poolQueueFull("mysql", 4)] as [DriverName, Error]]) {
      const classified = databaseFault(driver, raw);
      assert.ok(classified instanceof DependencyUnavailableError, `${driver}: ${raw.message}`);
      assert.equal(isDatabaseOutage(classified), true, raw.message);
      assert.equal(isDatabaseUnreachable(classified), false, `${driver}: ${raw.message}`);
      assert.equal(isDatabaseUnreachable(raw), false, `unclassified, ${driver}: ${raw.message}`);
      const wrapped = new DependencyUnavailableError("rate-limit store", classified);
      assert.equal(isDatabaseUnreachable(wrapped), false, `wrapped, ${driver}: ${raw.message}`);
    }
  });
});
