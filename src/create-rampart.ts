import { createApi, type Api } from "./core/api.js";
import { createGuards, type Guards } from "./core/authz.js";
import { resolveConfig, type ConfigSlice, type RampartConfig, type RampartConfigInput } from "./core/config/index.js";
import { EventBus, type EventName, type Hooks } from "./core/events.js";
import { MigrationRequiredError, type ConfigIssue } from "./core/errors.js";
import { developmentFromEnv } from "./core/development.js";
import type { Feature } from "./core/feature.js";
import { coreMessages, formatMessage, type MessageKey } from "./core/messages.js";
import { revocationQueue } from "./core/revocation-queue.js";
import { sessionSweeps } from "./core/session-sweeps.js";
import type { Logger, Runtime, UserSerializer } from "./core/runtime.js";
import type { UserFields, UserFieldSpec } from "./core/public-user.js";
import type { Services } from "./core/services.js";
import type { MailTemplate, MailTransport } from "./mail/types.js";
import { totpSlice } from "./kit/passcodes/config.js";
import { DeferredWork } from "./core/deferred.js";
import { composeLimits, type ComposedLimits } from "./core/compose/limits.js";
import { composeDelivery } from "./core/compose/delivery.js";
import { clockSkewMonitor, startSweeps } from "./core/compose/background.js";
import { mountRoutes } from "./core/compose/router.js";
import { consoleLogger, defaultSerializer, reservedUserFieldIssues } from "./core/compose/defaults.js";
import { SignInPipeline } from "./core/sign-in.js";
import { createPasswordHasher } from "./core/password-hasher.js";
import { randomToken } from "./crypto/random.js";
import { keyRingOf } from "./core/tokens/keys.js";
import { createTokenSigner } from "./crypto/signed-token.js";
import type { Datastore, SessionStore } from "./datastore/contracts.js";
import { databaseOptionsOf, openDatastore } from "./datastore/open.js";
import { RedisSessionStore } from "./datastore/redis-sessions.js";
import { attachRuntime } from "./internal.js";
import { builtinFeatures, configSlices, featureMigrations, uniqueFeatures, type Declared } from "./features/builtin.js";

/**
 * The composition root: resolves config once, opens the datastore, composes the features' routes and sign-in
 * checks, and returns `fetch` (every endpoint), `api` (typed operations) and `guards`.
 */
export interface RampartOptions<F extends UserFields = UserFields> {
  config: RampartConfigInput;
  /** A DATABASE_URL-style string or an open Datastore. Default: in-memory SQLite (tests, demos). */
  database?: string | Datastore;
  /** Where sessions live; default the datastore's session table. */
  sessionStore?: SessionStore;
  /**
   * Keep sessions in Redis (REDIS_URL) instead of the database (ignored for sessions when sessionStore is given);
   * also the Redis of rate-limit counters when rateLimit.store is "redis" and rateLimit.redisUrl is unset.
   */
  redisUrl?: string;
  hooks?: Hooks;
  serializeUser?: UserSerializer;
  logger?: Logger;
  /** Current time source (tests move it). */
  clock?: () => Date;
  /** Extra features (the app's own, or later Rampart features). */
  features?: Feature[];
  /** Fields the app declares on its users (stored in user.profile); their types reach the app through `PublicUser`. */
  userFields?: F;
  /** Replace parts of any mail template by name (subject, text, html). */
  mailTemplates?: Record<string, Partial<MailTemplate<any>>>;
  /** Deliver mail through this transport instead of the one MAIL_* configures (e.g. a queue). */
  mailTransport?: MailTransport;
  /**
   * "auto" applies pending migrations at start; "check" (default) refuses to start with pending ones
   * (`MigrationRequiredError`: run `rampart migrate`). An in-memory SQLite database is always migrated.
   */
  migrations?: "auto" | "check";
  /**
   * Whether this instance polls the outbox for due mail and SMS (retries, and what a stopped instance left).
   * Default true; one-shot commands turn it off. What a request queues is sent after it either way.
   */
  outboxSender?: boolean;
}

export interface Rampart<F extends UserFields = UserFields> {
  fetch(request: Request): Promise<Response>;
  /** True when `fetch` serves this method and path (adapters use it to fall through to the app). */
  handles(method: string, pathname: string): boolean;
  api: Api<F>;
  guards: Guards<F>;
  events: EventBus;
  config: RampartConfig;
  datastore: Datastore;
  close(): Promise<void>;
}

export { builtinFeatures };

export { configSlices };

function messageTexts(features: readonly Declared[]): Record<string, string> {
  return Object.assign({}, coreMessages, ...features.map((f) => f.messages ?? {}));
}

export async function createRampart<const F extends UserFields = {}>(options: RampartOptions<F>): Promise<Rampart<F>> {
  const logger = options.logger ?? consoleLogger;
  const input = { ...options.config };
  // Not given: the environment decides, by the same rule as `rampart serve` (RAMPART_DEVELOPMENT, else NODE_ENV).
  const envIssues: ConfigIssue[] = [];
  if (input.development === undefined) {
    const fromEnv = developmentFromEnv(process.env);
    input.development = fromEnv.development;
    if (fromEnv.issue) envIssues.push(fromEnv.issue);
  }
  if (!input.secretKey && input.development) {
    input.secretKey = randomToken(32);
    logger.warn(
      "DEVELOPMENT MODE: no SECRET_KEY given, using a random one for this process only. Never run production like this.",
    );
  }
  const allFeatures = uniqueFeatures([...builtinFeatures, ...(options.features ?? [])]);
  const config = resolveConfig(
    input,
    [...envIssues, ...reservedUserFieldIssues(options.userFields ?? {})],
    configSlices(allFeatures),
  );
  // A JWT key set that cannot be used refuses the start, before anything opens.
  keyRingOf(config);
  // Only enabled features are imported: their routes, pages and the libraries they use cost nothing otherwise.
  // Loaded before the datastore opens, so nothing is left open if one fails to load.
  const loaded = await Promise.all(
    allFeatures.filter((f) => f.enabled?.(config) ?? true).map((f) => ("load" in f ? f.load() : f)),
  );
  const features = loaded.filter((f) => f.enabled?.(config) ?? true);
  const migrations = await featureMigrations(allFeatures);
  const datastore =
    typeof options.database === "object"
      ? options.database
      : await openDatastore(options.database ?? "sqlite::memory:", databaseOptionsOf(config.database));
  // A fresh in-memory database can only be migrated here: asking for `rampart migrate` would be a dead end.
  const inMemory =
    options.database === undefined ||
    (typeof options.database === "string" &&
      /^(sqlite:(\/\/)?)?:memory:$|^sqlite:(\/\/)?$/.test(options.database.trim()));
  try {
    const pending = await datastore.migrations.pending(migrations);
    if (pending.length) {
      if (options.migrations === "auto" || inMemory) await datastore.migrations.migrateToLatest(migrations);
      else throw new MigrationRequiredError(pending);
    }
  } catch (err) {
    // A refused start leaves nothing open: a datastore opened here is closed again (a new SQLite file it created
    // is removed then), whether migrations are missing or one failed.
    if (typeof options.database !== "object") await datastore.close().catch(() => undefined);
    throw err;
  }
  const templates = Object.assign({}, ...features.map((f) => f.emails ?? {})) as Record<string, MailTemplate<any>>;
  const now = options.clock ?? (() => new Date());
  // Before any connection opens: a bad mail set-up (templates, MAIL_SERVER) refuses the start with nothing left open.
  let delivery: ReturnType<typeof composeDelivery>;
  try {
    delivery = composeDelivery({
      config,
      datastore,
      logger,
      now,
      templates,
      overrides: options.mailTemplates,
      mailTransport: options.mailTransport,
    });
  } catch (err) {
    if (typeof options.database !== "object") await datastore.close().catch(() => undefined);
    throw err;
  }
  const { mailer, outbox } = delivery;
  const redisStore =
    !options.sessionStore && options.redisUrl ? RedisSessionStore.connect(options.redisUrl, config.redis) : null;
  let limits: ComposedLimits;
  try {
    limits = composeLimits(config, datastore, options.redisUrl);
  } catch (err) {
    // A refused start leaves nothing open (a Redis rate-limit store with no Redis configured).
    await mailer.close().catch(() => undefined);
    if (typeof options.database !== "object") await datastore.close().catch(() => undefined);
    await redisStore?.close().catch(() => undefined);
    throw err;
  }
  // Every known feature's texts, enabled or not: a text is looked up by key wherever it is used.
  const messages: Record<string, string> = { ...messageTexts(allFeatures), ...config.messages };
  const pipeline = new SignInPipeline();
  const services: Services = {};
  const clockSkew = clockSkewMonitor(config, datastore, now, logger);
  const rt: Runtime = {
    config,
    datastore,
    sessions: options.sessionStore ?? redisStore ?? datastore.sessions,
    hasher: createPasswordHasher({
      scheme: config.password.hash,
      argon2: config.password.argon2,
      bcryptCost: config.password.bcryptCost,
      salt: config.password.salt,
      normalizeForm: config.password.normalizeForm,
      maxConcurrent: config.password.maxConcurrentHashes,
      maxQueue: config.password.maxHashQueue,
      maxQueuedPerKey: config.password.maxHashQueuePerKey,
    }),
    limits: limits.limits,
    signer: createTokenSigner(config.secretKey, config.secretKeyFallbacks),
    events: new EventBus((name, error) => logger.error(`listener for ${name} failed`, error)),
    hooks: options.hooks ?? {},
    pipeline,
    serializeUser: options.serializeUser ?? defaultSerializer(config, (options.userFields ?? {}) as UserFields),
    mailer,
    deferred: new DeferredWork(logger),
    outbox,
    services,
    userFields: Object.freeze({ ...(options.userFields ?? {}) }),
    logger,
    now,
    clockSkew,
    message: (key, params) => formatMessage(messages[key] ?? key, params),
    url: (path) => config.urlPrefix + path,
  };

  let router: ReturnType<typeof mountRoutes>;
  let sweeps: ReturnType<typeof startSweeps> | null = null;
  try {
    for (const feature of features) {
      const offered = feature.provides?.(rt) ?? {};
      // Lists several features contribute to are concatenated, not replaced.
      const secondFactors = [...(services.secondFactors ?? []), ...(offered.secondFactors ?? [])];
      const reauthChoices = [...(services.reauthChoices ?? []), ...(offered.reauthChoices ?? [])];
      const pageExtras = [...(services.pageExtras ?? []), ...(offered.pageExtras ?? [])];
      Object.assign(
        services,
        offered,
        secondFactors.length ? { secondFactors } : {},
        reauthChoices.length ? { reauthChoices } : {},
        pageExtras.length ? { pageExtras } : {},
      );
    }
    Object.freeze(services);
    for (const feature of features) for (const check of feature.signInChecks?.(rt) ?? []) pipeline.register(check);
    for (const feature of features)
      for (const [name, listener] of Object.entries(feature.listeners?.(rt) ?? {}))
        rt.events.on(name as EventName, listener as (payload: unknown) => void);
    router = mountRoutes(rt, features);
    sweeps = startSweeps(rt);
    // Measured before the first request, so authenticator codes are judged on the right time from the start.
    await clockSkew.start();
  } catch (err) {
    // A refused start (a feature's wiring, two routes on one path, the database at the clock check) leaves nothing
    // open: the connections opened above would keep the process alive.
    sweeps?.stop();
    clockSkew.stop();
    await mailer.close().catch(() => undefined);
    await redisStore?.close().catch(() => undefined);
    await limits.close().catch(() => undefined);
    if (typeof options.database !== "object") await datastore.close().catch(() => undefined);
    throw err;
  }
  // After the skew (cut-offs are on the database's clock). Not awaited: requests are served meanwhile (during an
  // outage the sessions it covers are refused by this instance), and a store that does not answer is retried.
  const resuming = sessionSweeps(rt)
    .resumeFromDatabase()
    .catch((error: unknown) => logger.warn(`could not take up recent session cut-offs: ${(error as Error).message}`));
  if (options.outboxSender !== false) outbox.start();

  const rampart: Rampart<F> = {
    fetch: router.fetch,
    handles: router.handles,
    api: createApi(rt) as Api<F>,
    guards: createGuards(rt) as Guards<F>,
    events: rt.events,
    config,
    datastore,
    async close() {
      sweeps.stop();
      clockSkew.stop();
      await revocationQueue(rt).close();
      // Bounded like the other last attempts: what it did not finish, the next start takes up again.
      await Promise.race([resuming, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      await sessionSweeps(rt).close();
      // Mail and other work promised after an answer finishes before the mailer and datastore close; what the
      // outbox has not sent yet stays queued for the next start.
      await rt.deferred.drain();
      await outbox.stop();
      await redisStore?.close();
      await limits.close();
      await mailer.close().catch(() => undefined);
      await datastore.close();
    },
  };
  attachRuntime(rampart, rt);
  return rampart;
}
