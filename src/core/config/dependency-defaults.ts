/**
 * Default bounds on every wait for a dependency (plain numbers, so the datastore and the Redis store can use them
 * without loading the config schemas). The config keys in dependency-slice.ts default to these.
 */
export const DEPENDENCY_DEFAULTS = {
  database: {
    poolSize: 10,
    connectTimeoutMs: 5000,
    poolQueueLimit: 500,
    statementTimeoutMs: 10_000,
    idleInTransactionTimeoutMs: 30_000,
    sqliteBusyTimeoutMs: 5000,
  },
  redis: {
    connectTimeoutMs: 2000,
    commandTimeoutMs: 2000,
    reconnectMaxDelayMs: 200,
  },
} as const;
