import { z } from "zod";
import { key } from "./declare.js";

const count = z.number().int().min(1);
const seconds = z.number().int().positive();

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
    sourceFailures: key(count.default(30), {
      env: "RATE_LIMIT_SOURCE_FAILURES",
      doc: "Failed credential checks (any account, any endpoint) allowed per source IP (IPv6 by /64, and by /48 × ipv6PrefixFactor) within sourceWindowSeconds; beyond it the source gets 429 with Retry-After.",
    }),
    sourceAttempts: key(count.default(300), {
      env: "RATE_LIMIT_SOURCE_ATTEMPTS",
      doc: "Credential checks, successful or not, allowed per source IP within sourceWindowSeconds (a looser cap that also bounds a source whose guesses sometimes succeed).",
    }),
    sourceWindowSeconds: key(seconds.default(900), {
      env: "RATE_LIMIT_SOURCE_WINDOW",
      doc: 'Window of the per-source limits (seconds, or FS style "15 minutes").',
    }),
    ipv6PrefixFactor: key(z.number().int().min(0).max(65536).default(4), {
      env: "RATE_LIMIT_IPV6_PREFIX_FACTOR",
      doc: "An IPv6 source is counted by its /64 and also by its /48 (the block one subscriber or site is commonly given: 65,536 /64s), whose budgets are the per-source ones (sourceFailures, sourceAttempts, sendsPerSource) times this factor; 0 turns the /48 limits off. An IPv4 address counts alone.",
    }),
    sprayFailures: key(count.default(1000), {
      env: "RATE_LIMIT_SPRAY_FAILURES",
      doc: "Failed credential checks across all accounts and sources within sprayWindowSeconds beyond which a password spray is reported (event `password_spray_detected`, audit row `password_spray`) and the per-source limits tighten.",
    }),
    sprayWindowSeconds: key(seconds.default(600), {
      env: "RATE_LIMIT_SPRAY_WINDOW",
      doc: "Window of the password-spray detector.",
    }),
    spraySourceDivisor: key(z.number().int().min(1).max(100).default(2), {
      env: "RATE_LIMIT_SPRAY_SOURCE_DIVISOR",
      doc: "While a spray lasts, the per-source limits are divided by this (2: halved; 1: unchanged).",
    }),
    sendsPerDestination: key(count.default(5), {
      env: "RATE_LIMIT_SENDS_PER_DESTINATION",
      doc: "Mails or texts one source IP (IPv6 by /64) may ask for to one address or phone number within sendDestinationWindowSeconds, when anyone may ask (reset, confirmation, username recovery, registration, passwordless codes), counted per request whether or not the address has an account; across all sources the cap is this × sendDestinationTotalFactor, and requests without a known source share one count of this size. Also the codes one account may be sent after its password was checked or by its signed-in user (two-factor, re-authentication), counted per account apart. More → 429 with Retry-After.",
    }),
    sendDestinationTotalFactor: key(z.number().int().min(1).max(1000).default(4), {
      env: "RATE_LIMIT_SEND_DESTINATION_TOTAL_FACTOR",
      doc: "Requests anyone may make (reset, confirmation, username recovery, registration, passwordless codes) count a destination per source IP (IPv6 by /64) with sendsPerDestination, and across all sources with sendsPerDestination times this factor; a signed-in user's new address or phone counts toward that ceiling too (4: at most 20 such mails or texts to one destination within sendDestinationWindowSeconds). One source then cannot use up a destination for everyone: blocking the owner's own reset takes this many sources each spending its whole share. 1 = one source can.",
    }),
    sendDestinationWindowSeconds: key(seconds.default(3600), {
      env: "RATE_LIMIT_SENDS_PER_DESTINATION_WINDOW",
      doc: "Window of sendsPerDestination.",
    }),
    sendsPerSource: key(count.default(30), {
      env: "RATE_LIMIT_SENDS_PER_SOURCE",
      doc: "Such send requests allowed per source IP (IPv6 by /64, and by /48 × ipv6PrefixFactor) within sendSourceWindowSeconds, whatever the destinations; more → 429 with Retry-After.",
    }),
    sendSourceWindowSeconds: key(seconds.default(3600), {
      env: "RATE_LIMIT_SENDS_PER_SOURCE_WINDOW",
      doc: "Window of sendsPerSource.",
    }),
  })
  .prefault({});
