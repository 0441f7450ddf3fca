/**
 * Rate limits and lockout counters, on one contract whatever the store: rate-limiter-flexible's limiters
 * (memory, Redis, or Rampart's database through datastore-limiter.ts). Callers declare a LimitSpec next to what
 * it protects and call `consume` BEFORE doing the guarded work, so work past the limit is never done.
 *
 * A failing store never lets work through uncounted: with `rateLimit.onStoreFailure` "refuse" (default) the
 * request is answered 503 with Retry-After (DependencyUnavailableError); with "memory" this process counts on
 * its own until the store answers again.
 */
import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import type { RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import type { LimitStore } from "../../datastore/contracts.js";
import { firstReady } from "../../datastore/redis-first-ready.js";
import { DEPENDENCY_DEFAULTS } from "../config/dependency-defaults.js";
import { DependencyUnavailableError } from "../errors.js";
import { createDatastoreLimiter } from "./datastore-limiter.js";

const require = createRequire(import.meta.url);

export interface LimitSpec {
  /** Names the family of counters (part of every key): "login-account", "mail-destination"… */
  name: string;
  /** Points allowed within the window. */
  points: number;
  durationSeconds: number;
  /** Once over the limit, the key stays refused this long (default: until the window ends). */
  blockSeconds?: number;
}

export type LimitVerdict =
  | { allowed: true; consumed: number; remaining: number }
  | { allowed: false; consumed: number; retryAfterSeconds: number };

export interface LimitState {
  consumed: number;
  /** Milliseconds until the window (or block) ends; -1 when it never does. */
  msBeforeReset: number;
}

export interface Limits {
  /** Counts `points` against the key; refused once the spec's points are spent. */
  consume(spec: LimitSpec, key: string, points?: number): Promise<LimitVerdict>;
  /** Adds points without asking (a failure learned after the work); returns the count now. */
  penalty(spec: LimitSpec, key: string, points?: number): Promise<number>;
  /** The key's counter without counting; null when it has none. */
  peek(spec: LimitSpec, key: string): Promise<LimitState | null>;
  /** Refuses the key for `seconds` from now (a lock). */
  block(spec: LimitSpec, key: string, seconds: number): Promise<void>;
  /** Forgets the key's counter (a success, an unlock). */
  reset(spec: LimitSpec, key: string): Promise<void>;
  /** Which store counts: for logs and `rampart doctor`. */
  readonly store: "database" | "redis" | "memory";
}

export interface LimitsOptions {
  store: "database" | "redis" | "memory";
  onStoreFailure: "refuse" | "memory";
  keyPrefix: string;
  datastore?: LimitStore;
  redis?: Redis;
  /** How long a call made before the Redis connection's first ready waits for it (default 2000 ms). */
  redisConnectTimeoutMs?: number;
}

type Limiter = RateLimiterAbstract;

export function createLimits(options: LimitsOptions): Limits {
  const limiters = new Map<string, Limiter>();
  // The limiter refuses calls while Redis is not ready; the first connection is waited for, not refused. With
  // "memory" on store failure nothing waits: the limiter counts in this process until Redis is ready.
  const ready =
    options.store === "redis" && options.redis && options.onStoreFailure === "refuse"
      ? firstReady(options.redis, options.redisConnectTimeoutMs ?? DEPENDENCY_DEFAULTS.redis.connectTimeoutMs)
      : null;

  const build = (spec: LimitSpec): Limiter => {
    const base = {
      keyPrefix: `${options.keyPrefix}${spec.name}`,
      points: spec.points,
      duration: spec.durationSeconds,
      ...(spec.blockSeconds ? { blockDuration: spec.blockSeconds } : {}),
    };
    // Each store class loads on first use (the package index would load every store it knows).
    const Memory = require("rate-limiter-flexible/lib/RateLimiterMemory.js") as new (o: object) => Limiter;
    const insurance = options.onStoreFailure === "memory" ? { insuranceLimiter: new Memory(base) } : {};
    switch (options.store) {
      case "memory":
        return new Memory(base);
      case "redis": {
        if (!options.redis) throw new TypeError('rateLimit.store "redis" needs a Redis client');
        const RateLimiterRedis = require("rate-limiter-flexible/lib/RateLimiterRedis.js") as new (o: object) => Limiter;
        return new RateLimiterRedis({
          ...base,
          ...insurance,
          storeClient: options.redis,
          // A Redis that is not connected fails the call at once instead of queueing it.
          rejectIfRedisNotReady: true,
        });
      }
      case "database":
        if (!options.datastore) throw new TypeError('rateLimit.store "database" needs the datastore');
        return createDatastoreLimiter({ ...base, ...insurance }, options.datastore);
    }
  };

  const limiter = (spec: LimitSpec): Limiter => {
    const id = `${spec.name}|${spec.points}|${spec.durationSeconds}|${spec.blockSeconds ?? 0}`;
    let found = limiters.get(id);
    if (!found) {
      found = build(spec);
      limiters.set(id, found);
    }
    return found;
  };

  // A store error (not a refusal) becomes a 503: a guess is never judged without being counted.
  const unavailable = (error: unknown): never => {
    if (isRes(error)) throw new TypeError("unexpected rate-limit refusal");
    throw new DependencyUnavailableError("rate-limit store", error);
  };

  return {
    store: options.store,
    async consume(spec, key, points = 1) {
      try {
        await ready?.();
        const res = await limiter(spec).consume(key, points);
        return { allowed: true, consumed: res.consumedPoints, remaining: res.remainingPoints };
      } catch (error) {
        if (!isRes(error)) return unavailable(error);
        return {
          allowed: false,
          consumed: error.consumedPoints,
          retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)),
        };
      }
    },
    async penalty(spec, key, points = 1) {
      try {
        await ready?.();
        return (await limiter(spec).penalty(key, points)).consumedPoints;
      } catch (error) {
        return unavailable(error);
      }
    },
    async peek(spec, key) {
      try {
        await ready?.();
        const res = await limiter(spec).get(key);
        return res ? { consumed: res.consumedPoints, msBeforeReset: res.msBeforeNext } : null;
      } catch (error) {
        return unavailable(error);
      }
    },
    async block(spec, key, seconds) {
      try {
        await ready?.();
        await limiter(spec).block(key, seconds);
      } catch (error) {
        unavailable(error);
      }
    },
    async reset(spec, key) {
      try {
        await ready?.();
        await limiter(spec).delete(key);
      } catch (error) {
        unavailable(error);
      }
    },
  };
}

function isRes(value: unknown): value is RateLimiterRes {
  return (
    typeof value === "object" &&
    value !== null &&
    "msBeforeNext" in value &&
    "consumedPoints" in value &&
    !(value instanceof Error)
  );
}
