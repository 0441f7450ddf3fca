import { z } from "zod";
import { key } from "./declare.js";

const seconds = (fallback: number) => z.number().int().positive().default(fallback);

/**
 * Per-account lockout (core/lockout): one count of consecutive failed credential checks per account, whatever
 * the endpoint or the spelling of the identity. Up to `threshold` failures cost nothing; from then on each
 * further guess must wait (`delaySeconds`, doubled per failure up to `maxDelaySeconds`); at `maxFailures` the
 * account's credentials are refused until a password reset or an unlock (NIST 800-63B §3.2.2: at most 100).
 */
export const lockoutSlice = z
  .strictObject({
    threshold: key(z.number().int().min(1).max(100).default(5), {
      env: "LOCKOUT_THRESHOLD",
      doc: "Consecutive failures after which each further guess on the account must wait (429 with Retry-After until then).",
    }),
    delaySeconds: key(seconds(30), {
      env: "LOCKOUT_DELAY",
      doc: "The wait after the threshold-th consecutive failure; it doubles with each further failure.",
    }),
    maxDelaySeconds: key(seconds(60 * 60), {
      env: "LOCKOUT_MAX_DELAY",
      doc: "The longest wait between two guesses (the doubling stops here).",
    }),
    maxFailures: key(z.number().int().min(1).max(100).default(100), {
      env: "LOCKOUT_MAX_FAILURES",
      doc: "Consecutive failures after which the account's credentials are refused until a password reset or `rampart users unlock` (at most 100, NIST 800-63B §3.2.2).",
    }),
    windowSeconds: key(seconds(7 * 24 * 60 * 60), {
      env: "LOCKOUT_WINDOW",
      doc: "A count of failures is forgotten this long after its first failure (a success forgets it at once; a lock at maxFailures stays).",
    }),
    codeAttempts: key(z.number().int().positive().default(5), {
      env: "LOCKOUT_CODE_ATTEMPTS",
      doc: "Codes checked outside the account lock, per account and kind, within codeWindowSeconds: the first code of a second factor or sign-in method being set up, and the code of a magic link.",
    }),
    codeWindowSeconds: key(seconds(15 * 60), {
      env: "LOCKOUT_CODE_WINDOW",
      doc: "Window of codeAttempts.",
    }),
  })
  .refine((c) => c.maxFailures >= c.threshold, {
    path: ["maxFailures"],
    message: "must be at least lockout.threshold",
  })
  .refine((c) => c.maxDelaySeconds >= c.delaySeconds, {
    path: ["maxDelaySeconds"],
    message: "must be at least lockout.delaySeconds",
  })
  .prefault({});
