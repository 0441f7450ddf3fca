/**
 * rate-limiter-flexible's store contract on Rampart's own database (`rampart_limit`, datastore.limits): the
 * library's consume/penalty/block/get/delete logic, over the pool, timeouts and migrations every other table
 * uses, on SQLite, PostgreSQL and MySQL alike. (The library's own SQL stores each need a raw driver client and
 * create their own tables.)
 */
import { createRequire } from "node:module";
import type { RateLimiterRes, RateLimiterStoreAbstract } from "rate-limiter-flexible";
import type { LimitCounter, LimitStore } from "../../datastore/contracts.js";

const require = createRequire(import.meta.url);

export interface DatastoreLimiterOptions {
  keyPrefix: string;
  points: number;
  duration: number;
  blockDuration?: number;
  insuranceLimiter?: unknown;
}

type StoreAbstractClass = new (opts: object) => RateLimiterStoreAbstract;

let DatastoreLimiterClass: (new (opts: DatastoreLimiterOptions, store: LimitStore) => RateLimiterStoreAbstract) | null =
  null;

/** Built on first use, so the library loads only when a limit is first needed. */
export function createDatastoreLimiter(opts: DatastoreLimiterOptions, store: LimitStore): RateLimiterStoreAbstract {
  DatastoreLimiterClass ??= defineClass();
  return new DatastoreLimiterClass(opts, store);
}

function defineClass() {
  const Base = require("rate-limiter-flexible/lib/RateLimiterStoreAbstract.js") as StoreAbstractClass;
  const Res = require("rate-limiter-flexible/lib/RateLimiterRes.js") as typeof RateLimiterRes;
  return class DatastoreLimiter extends Base {
    constructor(
      opts: DatastoreLimiterOptions,
      private readonly store: LimitStore,
    ) {
      super({ ...opts, storeClient: store });
    }

    _getRateLimiterRes(_rlKey: string, changedPoints: number, result: LimitCounter): RateLimiterRes {
      const res = new Res();
      const first = changedPoints === result.points;
      Object.assign(res, {
        isFirstInDuration: first,
        consumedPoints: first ? changedPoints : result.points,
        remainingPoints: Math.max(this.points - result.points, 0),
        msBeforeNext: result.expire === null ? -1 : Math.max(result.expire - Date.now(), 0),
      });
      return res;
    }

    _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false): Promise<LimitCounter> {
      return this.store.upsert(rlKey, points, msDuration, forceExpire, Date.now());
    }

    _get(rlKey: string): Promise<LimitCounter | null> {
      return this.store.get(rlKey, Date.now());
    }

    _delete(rlKey: string): Promise<boolean> {
      return this.store.delete(rlKey);
    }
  };
}
