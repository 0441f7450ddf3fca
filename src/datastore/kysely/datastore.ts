/** The Kysely `Datastore`: one implementation for SQLite, PostgreSQL and MySQL/MariaDB. */
import type { Kysely } from "kysely";
import { FeatureStores, type StoreDef } from "../kit.js";
import type {
  AttemptStore,
  LimitStore,
  OutboxStore,
  AuditStore,
  Datastore,
  MigrationControl,
  RememberStore,
  RevocationStore,
  RoleStore,
  SessionStore,
  UserStore,
} from "../contracts.js";
import { KyselyAttemptStore } from "./attempts.js";
import { KyselyLimitStore } from "./limits.js";
import { databaseNow } from "./clock.js";
import { KyselyOutboxStore } from "./outbox.js";
import { withConflictRetry } from "./retry.js";
import { KyselyAuditStore } from "./audit.js";
import type { StoreContext } from "./context.js";
import { migrationControl } from "./migrations/index.js";
import { KyselyRememberStore } from "./remember.js";
import { KyselyRevocationStore, RevocationQueries } from "./revocations.js";
import { KyselyRoleStore, RoleQueries } from "./roles.js";
import type { Database, SqlDialect } from "./schema.js";
import { KyselySessionStore, SessionQueries } from "./sessions.js";
import { KyselyUserStore, UserQueries } from "./users.js";

export type TransactionStores = Omit<Datastore, "transaction" | "close" | "migrations">;

export interface KyselyDatastoreOptions {
  /** SQL texts the driver keeps prepared; hot queries register themselves here. */
  preparedSql?: Set<string>;
  /** PostgreSQL schema holding the tables (and the migration table). */
  schema?: string;
}

interface Queries {
  users: UserQueries;
  roles: RoleQueries;
  sessions: SessionQueries;
  revocations: RevocationQueries;
}

function stores(ctx: StoreContext, q: Queries): TransactionStores {
  const featureStores = new FeatureStores(ctx);
  return {
    dialect: ctx.dialect,
    store: (def) => featureStores.get(def),
    users: new KyselyUserStore(ctx, q.users),
    roles: new KyselyRoleStore(ctx, q.roles),
    sessions: new KyselySessionStore(ctx, q.sessions),
    remember: new KyselyRememberStore(ctx),
    audit: new KyselyAuditStore(ctx),
    attempts: new KyselyAttemptStore(ctx),
    limits: new KyselyLimitStore(ctx),
    now: () => databaseNow(ctx),
    revocations: new KyselyRevocationStore(ctx, q.revocations),
    outbox: new KyselyOutboxStore(ctx),
  };
}

export class KyselyDatastore implements Datastore {
  readonly users: UserStore;
  readonly roles: RoleStore;
  readonly sessions: SessionStore;
  readonly remember: RememberStore;
  readonly audit: AuditStore;
  readonly attempts: AttemptStore;
  readonly limits: LimitStore;
  readonly revocations: RevocationStore;
  readonly outbox: OutboxStore;
  readonly migrations: MigrationControl;
  private readonly queries: Queries;
  private readonly featureStores: FeatureStores;

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: SqlDialect,
    options: KyselyDatastoreOptions = {},
  ) {
    const preparedSql = options.preparedSql ?? new Set<string>();
    this.queries = {
      users: new UserQueries(db, preparedSql),
      roles: new RoleQueries(db, preparedSql),
      sessions: new SessionQueries(db, preparedSql),
      revocations: new RevocationQueries(db, preparedSql),
    };
    const s = stores({ db, dialect }, this.queries);
    this.users = s.users;
    this.roles = s.roles;
    this.sessions = s.sessions;
    this.remember = s.remember;
    this.audit = s.audit;
    this.attempts = s.attempts;
    this.limits = s.limits;
    this.revocations = s.revocations;
    this.outbox = s.outbox;
    this.featureStores = new FeatureStores({ db, dialect });
    this.migrations = migrationControl(db, dialect, options.schema);
  }

  store<S>(def: StoreDef<S>): S {
    return this.featureStores.get(def);
  }

  now(): Promise<Date> {
    return databaseNow({ db: this.db, dialect: this.dialect });
  }

  /**
   * Runs `fn` in one transaction with stores bound to it. Inside `fn`, use only the stores handed in: on SQLite
   * the single connection is held by the transaction, so a call through the outer datastore would wait forever.
   */
  transaction<T>(fn: (tx: TransactionStores) => Promise<T>): Promise<T> {
    // A deadlock victim is run again whole (see retry.ts); `fn` must not have side effects outside the database.
    return withConflictRetry(() =>
      this.db.transaction().execute((trx) => fn(stores({ db: trx, dialect: this.dialect }, this.queries))),
    );
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
