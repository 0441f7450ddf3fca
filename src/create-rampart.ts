import { Hono } from "hono";
import { createApi, type Api } from "./core/api.js";
import { createGuards, type Guards } from "./core/authz.js";
import {
  resolveConfig,
  sliceOf,
  type ConfigSlice,
  type RampartConfig,
  type RampartConfigInput,
} from "./core/config/index.js";
import { RequestContext } from "./core/context.js";
import { EventBus, type EventName, type Hooks } from "./core/events.js";
import { ConfigError, MigrationRequiredError, type ConfigIssue } from "./core/errors.js";
import { developmentFromEnv } from "./core/development.js";
import type { Feature } from "./core/feature.js";
import { emptyResponse, jsonResponse, textResponse } from "./core/http/respond.js";
import { preflightHeaders } from "./core/http/cors.js";
import { coreMessages, formatMessage, type MessageKey } from "./core/messages.js";
import { runRoute, type RouteDef } from "./core/routes.js";
import { renderError } from "./core/render.js";
import { openApiFeature } from "./core/openapi.js";
import { revocationQueue } from "./core/revocation-queue.js";
import { sessionSweeps } from "./core/session-sweeps.js";
import { sweepSessionEnds } from "./core/session-ends.js";
import type { Logger, Runtime, UserSerializer } from "./core/runtime.js";
import type { UserFields, UserFieldSpec } from "./core/public-user.js";
import type { Services } from "./core/services.js";
import { createMailer, mailSender, mailSlice, transportFromConfig } from "./mail/index.js";
import type { MailTemplate, MailTransport } from "./mail/types.js";
import { smsSenderFromConfig, smsSlice, type SmsSender } from "./sms/index.js";
import { Outbox } from "./core/outbox/outbox.js";
import { outboxSlice } from "./core/outbox/config.js";
import { createPayloadBox } from "./crypto/payload-box.js";
import { totpSlice } from "./kit/passcodes/config.js";
import { DeferredWork } from "./core/deferred.js";
import { createLimits } from "./core/limits/limits.js";
import { connectLimitRedis } from "./core/limits/redis.js";
import { ClockSkewMonitor } from "./core/clock-skew.js";
import { SignInPipeline } from "./core/sign-in.js";
import { createPasswordHasher } from "./core/password-hasher.js";
import { randomToken } from "./crypto/random.js";
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

const consoleLogger: Logger = {
  info: (m) => console.log(`[rampart] ${m}`),
  warn: (m) => console.warn(`[rampart] ${m}`),
  error: (m, e) => console.error(`[rampart] ${m}`, e instanceof Error ? (e.stack ?? e.message) : (e ?? "")),
};

/** App fields may not shadow what Rampart owns (identity, credentials, status, uniquifiers, factors). */
const RESERVED_FIELD =
  /^(id|email|username|password|active|roles?|permissions|confirmed_at|authentication_token|refresh_token|csrf_token|create_datetime|update_datetime|login_count|(current|last)_login_(at|ip)|profile|(fs|tf|us|mf)_.*|__proto__|constructor|prototype)$/i;
function reservedUserFieldIssues(fields: Record<string, unknown>) {
  return Object.keys(fields)
    .filter((name) => RESERVED_FIELD.test(name) || !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name))
    .map((name) => ({
      key: `userFields.${name}`,
      message: "is reserved by Rampart or not a plain field name (letters, digits, _)",
    }));
}

/**
 * Default `response.user`: the email (and username when enabled) plus the app's exposed profile fields.
 * FS's default is {}; see docs/decisions.md.
 */
function defaultSerializer(config: RampartConfig, fields: Record<string, UserFieldSpec>): UserSerializer {
  const exposed = Object.entries(fields)
    .filter(([, spec]) => spec.expose !== false)
    .map(([name]) => name);
  return (user) => {
    const out: Record<string, unknown> = config.username.enable
      ? { email: user.email, username: user.username }
      : { email: user.email };
    for (const name of exposed) out[name] = user.profile?.[name] ?? null;
    return out;
  };
}

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
  const redisStore =
    !options.sessionStore && options.redisUrl ? RedisSessionStore.connect(options.redisUrl, config.redis) : null;
  const limitRedisUrl = config.rateLimit.redisUrl ?? options.redisUrl;
  if (config.rateLimit.store === "redis" && !limitRedisUrl) {
    if (typeof options.database !== "object") await datastore.close().catch(() => undefined);
    await redisStore?.close().catch(() => undefined);
    throw new ConfigError([
      { key: "rateLimit.store", message: 'is "redis" but no Redis is configured (RATE_LIMIT_REDIS_URL or REDIS_URL)' },
    ]);
  }
  const limitRedis =
    config.rateLimit.store === "redis" && limitRedisUrl ? connectLimitRedis(limitRedisUrl, config.redis) : null;
  // Every known feature's texts, enabled or not: a text is looked up by key wherever it is used.
  const messages: Record<string, string> = { ...messageTexts(allFeatures), ...config.messages };
  const pipeline = new SignInPipeline();
  const mailConfig = sliceOf(config, mailSlice);
  const templates = Object.assign({}, ...features.map((f) => f.emails ?? {})) as Record<string, MailTemplate<any>>;
  // The outbox sits in front of the transport (MAIL_* or the app's own): features queue, the outbox delivers.
  const mailTransport = options.mailTransport ?? transportFromConfig(mailConfig, logger, config.development);
  const mailer = createMailer({
    transport: mailTransport,
    from: mailSender(mailConfig),
    appName: config.appName,
    templates,
    overrides: options.mailTemplates,
    logger,
  });
  const now = options.clock ?? (() => new Date());
  let sms: SmsSender | null = null;
  const outbox = new Outbox({
    datastore,
    config: sliceOf(config, outboxSlice),
    logger,
    now,
    box: createPayloadBox(config.secretKey!, config.secretKeyFallbacks, "outbox"),
    mailTransport,
    smsSender: () => (sms ??= smsSenderFromConfig(sliceOf(config, smsSlice), logger, config.development)),
  });
  const services: Services = {};
  const clockSkew = new ClockSkewMonitor({
    databaseNow: () => datastore.now(),
    now,
    logger,
    thresholdSeconds: config.clock.skewThresholdSeconds,
    checkIntervalSeconds: config.clock.checkIntervalSeconds,
  });
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
    limits: createLimits({
      store: config.rateLimit.store,
      onStoreFailure: config.rateLimit.onStoreFailure,
      keyPrefix: config.rateLimit.keyPrefix,
      datastore: datastore.limits,
      ...(limitRedis ? { redis: limitRedis } : {}),
    }),
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

  for (const feature of features) {
    const offered = feature.provides?.(rt) ?? {};
    // Lists several features contribute to are concatenated, not replaced.
    const secondFactors = [...(services.secondFactors ?? []), ...(offered.secondFactors ?? [])];
    const reauthChoices = [...(services.reauthChoices ?? []), ...(offered.reauthChoices ?? [])];
    Object.assign(
      services,
      offered,
      secondFactors.length ? { secondFactors } : {},
      reauthChoices.length ? { reauthChoices } : {},
    );
  }
  Object.freeze(services);
  const app = new Hono();
  const patterns: { method: string; regex: RegExp }[] = [];
  const seen = new Set<string>();
  const ids = new Set<string>();
  for (const feature of features) for (const check of feature.signInChecks?.(rt) ?? []) pipeline.register(check);
  for (const feature of features)
    for (const [name, listener] of Object.entries(feature.listeners?.(rt) ?? {}))
      rt.events.on(name as EventName, listener as (payload: unknown) => void);
  const mounted: RouteDef[] = [];
  const declared = [...features, openApiFeature(() => mounted)].flatMap((feature) =>
    (feature.routes?.(rt) ?? []).map((route) => ({ feature, route, key: `${route.method} ${rt.url(route.path)}` })),
  );
  // A route marked `replaces` wins over other features' routes with the same method and path.
  const replaced = new Set(declared.filter((d) => d.route.replaces).map((d) => d.key));
  for (const { feature, route, key } of declared) {
    if (replaced.has(key) && !route.replaces) continue;
    const full = rt.url(route.path);
    if (seen.has(key)) throw new TypeError(`route ${key} declared twice (feature ${feature.name})`);
    seen.add(key);
    // The id is the operationId of /openapi.json: an app's feature must not reuse one.
    const id = (route as { id?: string }).id;
    if (id !== undefined && ids.has(id))
      throw new TypeError(`route id "${id}" declared twice (feature ${feature.name})`);
    if (id !== undefined) ids.add(id);
    mounted.push(route);
    patterns.push({
      method: route.method,
      regex: new RegExp("^" + full.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/]+") + "$"),
    });
    app.on(route.method, full, (c) =>
      runRoute(new RequestContext(rt, c.req.raw), route as RouteDef, c.req.param() as Record<string, string>),
    );
  }
  // Whatever escapes a route still gets the contract's error shape and the baseline headers.
  app.onError((error, c) => renderError(new RequestContext(rt, c.req.raw), error));
  app.notFound((c) => {
    const ctx = new RequestContext(rt, c.req.raw);
    return ctx.wantsJson
      ? jsonResponse(ctx, 404, { errors: ["Not found"], error_codes: ["NOT_FOUND"] })
      : textResponse(ctx, 404, "Not found");
  });
  const methodsOf = (pathname: string) => [
    ...new Set(patterns.filter((p) => p.regex.test(pathname)).map((p) => p.method)),
  ];
  // With a CORS allow-list, browsers preflight cross-origin calls: Rampart answers OPTIONS on its own paths.
  const preflights = config.cors.allowedOrigins.length > 0;
  const handles = (method: string, pathname: string) =>
    patterns.some(
      (p) =>
        (p.method === method || (method === "HEAD" && p.method === "GET") || (method === "OPTIONS" && preflights)) &&
        p.regex.test(pathname),
    );
  app.on(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"], "*", (c) => {
    const methods = methodsOf(new URL(c.req.url).pathname);
    if (!methods.length) return c.notFound();
    const ctx = new RequestContext(rt, c.req.raw);
    const allow = [...methods, ...(preflights ? ["OPTIONS"] : [])].join(", ");
    if (c.req.method === "OPTIONS" && preflights)
      return emptyResponse(ctx, 204, { allow, ...preflightHeaders(ctx, methods) });
    return jsonResponse(ctx, 405, { errors: ["Method not allowed"], error_codes: ["METHOD_NOT_ALLOWED"] }, { allow });
  });

  // Sessions are checked on every use; this sweep only keeps the store from growing without bound.
  const sweep = async () => {
    const now = rt.now();
    // Each on its own: a session store that is down (Redis) must not stop the database's clean-up.
    const steps: [string, () => Promise<unknown>][] = [
      [
        "sessions",
        () => rt.sessions.deleteExpired(now, new Date(now.getTime() - config.session.idleTimeoutSeconds * 1000)),
      ],
      ["remember records", () => rt.datastore.remember.deleteExpired(now)],
      ...(config.rateLimit.store === "database"
        ? [
            ["rate-limit counters", () => datastore.limits.deleteExpired(Date.now())] as [
              string,
              () => Promise<unknown>,
            ],
          ]
        : []),
      ["session revocations", () => sweepSessionEnds(rt, now)],
      // Sign-outs queued during a database outage by an instance that stopped before writing them.
      ["queued revocations", () => revocationQueue(rt).flush()],
      // Sessions a change ended that the store could not delete then (their instance may have stopped since).
      ["ended sessions in the store", () => sessionSweeps(rt).resumeFromDatabase()],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (error) {
        logger.warn(`${what} cleanup failed: ${(error as Error).message}`);
      }
    }
  };
  const timer =
    config.session.cleanupIntervalSeconds > 0 ? setInterval(sweep, config.session.cleanupIntervalSeconds * 1000) : null;
  timer?.unref();
  // Measured before the first request, so authenticator codes are judged on the right time from the start.
  await clockSkew.start();
  // After the skew (cut-offs are on the database's clock); a store or database that does not answer yet is retried.
  await sessionSweeps(rt)
    .resumeFromDatabase()
    .catch((error: unknown) => logger.warn(`could not take up recent session cut-offs: ${(error as Error).message}`));
  if (options.outboxSender !== false) outbox.start();

  const rampart: Rampart<F> = {
    fetch: (request) => Promise.resolve(app.fetch(request)),
    handles,
    api: createApi(rt) as Api<F>,
    guards: createGuards(rt) as Guards<F>,
    events: rt.events,
    config,
    datastore,
    async close() {
      if (timer) clearInterval(timer);
      clockSkew.stop();
      await revocationQueue(rt).close();
      await sessionSweeps(rt).close();
      // Mail and other work promised after an answer finishes before the mailer and datastore close; what the
      // outbox has not sent yet stays queued for the next start.
      await rt.deferred.drain();
      await outbox.stop();
      await redisStore?.close();
      await limitRedis?.quit().catch(() => undefined);
      await mailer.close().catch(() => undefined);
      await datastore.close();
    },
  };
  attachRuntime(rampart, rt);
  return rampart;
}
