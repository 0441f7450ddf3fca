/**
 * Runs the datastore conformance suite on SQLite (always: in memory and on a WAL file), and on PostgreSQL and
 * MariaDB/MySQL when RAMPART_TEST_POSTGRES_URL / RAMPART_TEST_MYSQL_URL are set. Under CI a missing URL fails.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { createIsolatedDatastore, type TestDialect } from "../../../test/helpers/databases.js";
import type { Datastore } from "../contracts.js";
import { runDatastoreConformance } from "../conformance/suite.js";
import { openDatastore } from "../open.js";

/** A datastore whose close() also drops its isolated database. */
function isolated(dialect: TestDialect): () => Promise<Datastore> {
  return async () => {
    const { datastore, cleanup } = await createIsolatedDatastore(dialect);
    return {
      dialect: datastore.dialect,
      users: datastore.users,
      roles: datastore.roles,
      sessions: datastore.sessions,
      remember: datastore.remember,
      audit: datastore.audit,
      attempts: datastore.attempts,
      limits: datastore.limits,
      revocations: datastore.revocations,
      outbox: datastore.outbox,
      migrations: datastore.migrations,
      transaction: (fn) => datastore.transaction(fn),
      store: (def) => datastore.store(def),
      now: () => datastore.now(),
      close: cleanup,
    };
  };
}

runDatastoreConformance("sqlite :memory:", async () => {
  const ds = await openDatastore("sqlite::memory:", { migrate: true });
  assert.equal(ds.dialect, "sqlite");
  return ds;
});
runDatastoreConformance("sqlite file (WAL)", isolated("sqlite"));

const SERVERS = [
  { dialect: "postgres", env: "RAMPART_TEST_POSTGRES_URL" },
  { dialect: "mysql", env: "RAMPART_TEST_MYSQL_URL" },
] as const;

for (const { dialect, env } of SERVERS) {
  if (process.env[env]) {
    runDatastoreConformance(dialect, isolated(dialect));
  } else if (process.env.CI) {
    it(`${dialect} conformance runs under CI`, () => {
      assert.fail(`${env} is not set: ${dialect} must be tested in CI (run scripts/services.sh)`);
    });
  } else {
    it(`${dialect} conformance`, { skip: `${env} not set` }, () => undefined);
  }
}
