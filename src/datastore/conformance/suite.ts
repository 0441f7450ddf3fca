/**
 * Conformance suite every Datastore backend must pass (node:test). Call it at the top level of a test file:
 *
 *   runDatastoreConformance("sqlite", () => openDatastore("sqlite::memory:", { migrate: true }));
 *
 * The factory is called once per group (users, roles, sessions, audit, transactions) and must return a fresh,
 * migrated datastore; the suite closes it. Session stores that are not part of a Datastore (Redis) run only
 * the session group through `runSessionStoreConformance`.
 */
import { describe } from "node:test";
import { attemptStoreConformance } from "./attempts.js";
import { auditStoreConformance } from "./audit.js";
import { clockConformance } from "./clock.js";
import { lifecycleConformance } from "./lifecycle.js";
import { limitStoreConformance } from "./limits.js";
import { outboxStoreConformance } from "./outbox.js";
import { rememberStoreConformance } from "./remember.js";
import { revocationStoreConformance } from "./revocations.js";
import { roleStoreConformance } from "./roles.js";
import { datastoreSessionHarness, sessionStoreConformance, type SessionStoreHarnessFactory } from "./sessions.js";
import { userStoreConformance } from "./users.js";
import type { DatastoreFactory } from "./util.js";

export type { DatastoreFactory } from "./util.js";
export type { SessionStoreHarness, SessionStoreHarnessFactory } from "./sessions.js";
export { makeSession } from "./sessions.js";

export function runDatastoreConformance(label: string, factory: DatastoreFactory): void {
  describe(`datastore conformance: ${label}`, () => {
    userStoreConformance(factory);
    roleStoreConformance(factory);
    sessionStoreConformance(datastoreSessionHarness(factory));
    rememberStoreConformance(factory);
    auditStoreConformance(factory);
    attemptStoreConformance(factory);
    limitStoreConformance(factory);
    revocationStoreConformance(factory);
    outboxStoreConformance(factory);
    lifecycleConformance(factory);
    clockConformance(factory);
  });
}

export function runSessionStoreConformance(label: string, factory: SessionStoreHarnessFactory): void {
  describe(`session store conformance: ${label}`, () => {
    sessionStoreConformance(factory);
  });
}
