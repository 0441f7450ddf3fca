import { z } from "zod";
import { key } from "./declare.js";
import { DEPENDENCY_DEFAULTS as D } from "./dependency-defaults.js";

/**
 * Bounds on every wait for the database and Redis. A dependency that is down, frozen or saturated makes a
 * request wait at most these times; the request then gets 503 with Retry-After instead of hanging.
 * They apply where Rampart opens the connection (DATABASE_URL / REDIS_URL, `database` or `redisUrl` given as a
 * string); a Datastore the app opens itself takes the same options from `openDatastore(url, options)`.
 */
const ms = (min: number) => z.number().int().min(min);

export const databaseSlice = z
  .strictObject({
    poolSize: key(z.number().int().min(1).default(D.database.poolSize), {
      env: "RAMPART_DB_POOL_SIZE",
      doc: "Connections per process to PostgreSQL or MySQL/MariaDB.",
    }),
    connectTimeoutMs: key(ms(100).default(D.database.connectTimeoutMs), {
      env: "RAMPART_DB_CONNECT_TIMEOUT_MS",
      doc: "Longest wait for a database connection, whether a new one is being opened or the pool is full and the request waits for a free one; then 503.",
    }),
    poolQueueLimit: key(z.number().int().min(1).default(D.database.poolQueueLimit), {
      env: "RAMPART_DB_POOL_QUEUE_LIMIT",
      doc: "Requests allowed to wait for a free connection when the pool is full; beyond it a request gets 503 at once.",
    }),
    statementTimeoutMs: key(ms(100).default(D.database.statementTimeoutMs), {
      env: "RAMPART_DB_STATEMENT_TIMEOUT_MS",
      doc: "Longest run of one statement, lock waits included (PostgreSQL statement_timeout plus a client-side read timeout; MySQL/MariaDB a client-side timeout that drops the connection); then 503.",
    }),
    idleInTransactionTimeoutMs: key(ms(100).default(D.database.idleInTransactionTimeoutMs), {
      env: "RAMPART_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
      doc: "PostgreSQL idle_in_transaction_session_timeout: the server ends a session that holds a transaction open this long without a statement.",
    }),
    sqliteBusyTimeoutMs: key(ms(0).default(D.database.sqliteBusyTimeoutMs), {
      env: "RAMPART_SQLITE_BUSY_TIMEOUT_MS",
      doc: "How long SQLite waits for another process's write lock; then 503.",
    }),
  })
  .prefault({});

export const redisSlice = z
  .strictObject({
    connectTimeoutMs: key(ms(100).default(D.redis.connectTimeoutMs), {
      env: "RAMPART_REDIS_CONNECT_TIMEOUT_MS",
      doc: "Longest wait for a connection to Redis (REDIS_URL); then 503.",
    }),
    commandTimeoutMs: key(ms(100).default(D.redis.commandTimeoutMs), {
      env: "RAMPART_REDIS_COMMAND_TIMEOUT_MS",
      doc: "Longest wait for one Redis reply (a frozen Redis); then 503. While the connection is down commands are not queued: they get 503 at once.",
    }),
    reconnectMaxDelayMs: key(ms(10).default(D.redis.reconnectMaxDelayMs), {
      env: "RAMPART_REDIS_RECONNECT_MAX_DELAY_MS",
      doc: "Longest pause between attempts to reconnect to Redis, so service resumes within about this long after Redis returns.",
    }),
  })
  .prefault({});
