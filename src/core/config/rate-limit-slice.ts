import { z } from "zod";
import { key } from "./declare.js";

/**
 * Where rate-limit and lockout counters live, and what happens when that store fails. The limits themselves
 * (per account, per source, per destination) are declared next to what they protect.
 */
export const rateLimitSlice = z
  .strictObject({
    store: key(z.enum(["database", "redis", "memory"]).default("database"), {
      env: "RATE_LIMIT_STORE",
      doc: '"database" (default: shared by every instance, survives restarts), "redis" (shared; RATE_LIMIT_REDIS_URL, else REDIS_URL) or "memory" (one process only: several instances would each grant the whole budget).',
    }),
    redisUrl: key(z.string().min(1).nullable().default(null), {
      env: "RATE_LIMIT_REDIS_URL",
      doc: 'Redis for store "redis"; null = the REDIS_URL sessions use.',
    }),
    onStoreFailure: key(z.enum(["refuse", "memory"]).default("refuse"), {
      env: "RATE_LIMIT_ON_STORE_FAILURE",
      doc: 'When the counter store fails: "refuse" (default) answers 503 with Retry-After, so no guess is judged uncounted; "memory" counts in this process until the store is back (each instance then grants its own budget).',
    }),
    keyPrefix: key(z.string().max(64).default("rl:"), {
      env: "RATE_LIMIT_KEY_PREFIX",
      doc: "Prefix of every counter key (a Redis shared with other apps).",
    }),
  })
  .prefault({});
