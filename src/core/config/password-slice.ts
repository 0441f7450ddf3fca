import { z } from "zod";
import { key } from "./declare.js";

/** Password hashing and policy (core: every sign-in verifies one). */
export const passwordSlice = z
  .strictObject({
    hash: key(z.enum(["argon2", "bcrypt"]).default("argon2"), {
      env: "SECURITY_PASSWORD_HASH",
      doc: "Scheme for new password hashes (argon2id or bcrypt).",
    }),
    argon2: z
      .strictObject({
        memoryCost: key(z.number().int().min(8).default(19456), {
          env: "RAMPART_ARGON2_MEMORY_COST",
          doc: "argon2id memory in KiB (OWASP minimum 19456).",
        }),
        timeCost: key(z.number().int().min(1).default(2), {
          env: "RAMPART_ARGON2_TIME_COST",
          doc: "argon2id iterations.",
        }),
        parallelism: key(z.number().int().min(1).default(1), {
          env: "RAMPART_ARGON2_PARALLELISM",
          doc: "argon2id lanes.",
        }),
      })
      .prefault({}),
    bcryptCost: key(z.number().int().min(4).max(31).default(12), {
      env: "RAMPART_BCRYPT_COST",
      doc: "bcrypt cost when password.hash is bcrypt.",
    }),
    salt: key(z.string().min(1).nullable().default(null), {
      env: "SECURITY_PASSWORD_SALT",
      doc: "FS SECURITY_PASSWORD_SALT: key of the HMAC pre-hash, needed to verify an existing Flask-Security database's passwords.",
    }),
    normalizeForm: key(z.enum(["NFKD", "NFKC", "NFD", "NFC"]).nullable().default("NFKD"), {
      env: "SECURITY_PASSWORD_NORMALIZE_FORM",
      doc: "Unicode normalization applied to passwords before hashing and verifying.",
    }),
    lengthMin: key(z.number().int().min(1).default(8), {
      env: "SECURITY_PASSWORD_LENGTH_MIN",
      doc: "Shortest password accepted when setting one.",
    }),
    lengthMax: key(z.number().int().min(8).max(1024).default(128), {
      doc: "Longest password accepted (longer input is refused without hashing).",
    }),
    complexityChecker: key(z.enum(["zxcvbn"]).nullable().default(null), {
      env: "SECURITY_PASSWORD_COMPLEXITY_CHECKER",
      doc: '"zxcvbn" rejects weak new passwords (the user\'s email and username count as guessable context); null = off.',
    }),
    zxcvbnMinimumScore: key(z.number().int().min(0).max(4).default(3), {
      env: "SECURITY_ZXCVBN_MINIMUM_SCORE",
      doc: "Lowest zxcvbn score (0–4) a new password may have.",
    }),
    checkBreached: key(z.enum(["strict", "best-effort"]).nullable().default(null), {
      env: "SECURITY_PASSWORD_CHECK_BREACHED",
      doc: 'Check new passwords against a breached-password range API (SHA-1 prefix only): "strict" refuses when the service is unreachable, "best-effort" lets the password through with a warning; null = off.',
    }),
    breachedCount: key(z.number().int().min(1).default(1), {
      env: "SECURITY_PASSWORD_BREACHED_COUNT",
      doc: "How many breaches make a password refused.",
    }),
    breachedApiBaseUrl: key(z.url().default("https://api.pwnedpasswords.com"), {
      env: "RAMPART_PASSWORD_BREACHED_API",
      doc: "Base URL of the k-anonymity range API (GET {base}/range/{first 5 hex of SHA-1}).",
    }),
    breachedTimeoutMs: key(z.number().int().min(100).default(3000), {
      env: "RAMPART_PASSWORD_BREACHED_TIMEOUT_MS",
      doc: "Timeout of one breached-password lookup.",
    }),
    maxConcurrentHashes: key(z.number().int().min(1).default(2), {
      env: "RAMPART_MAX_CONCURRENT_HASHES",
      doc: "Password hashes running at once, each on its own lowest-priority worker thread (more wait in a bounded queue, then 503); legacy pbkdf2 verifies use the libuv pool, so keep it below UV_THREADPOOL_SIZE.",
    }),
    maxHashQueue: key(z.number().int().min(1).default(256), {
      env: "RAMPART_MAX_HASH_QUEUE",
      doc: "Hashes allowed to wait; beyond it requests get 503 with Retry-After at once.",
    }),
    maxHashQueuePerKey: key(z.number().int().min(1).default(32), {
      env: "RAMPART_MAX_HASH_QUEUE_PER_KEY",
      doc: "Hashes one client source (IP, IPv6 by /64) may have waiting; beyond it that caller gets 503 at once. The queue serves sources round-robin and, when full, refuses the busiest source's newest job for a newcomer, so one source's storm cannot starve other users.",
    }),
  })
  .prefault({});
