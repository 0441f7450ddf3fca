import { randomBytes } from "node:crypto";
import { hashArgon2 } from "./argon2.js";
import { hashBcrypt } from "./bcrypt.js";
import { identifyStoredHash } from "./identify.js";
import { normalizePassword } from "./normalize.js";
import { resolvePasswordHashingOptions, type PasswordHashingOptions } from "./options.js";
import type { ParsedHash } from "./parsed-hash.js";
import { reserveHashThreads } from "./hash-threads.js";
import { fsPrehash } from "./prehash.js";
import { HashSemaphore } from "./semaphore.js";

/**
 * Who a hash job is for, so the queue stays fair (see semaphore.ts): e.g. the client's source first (the queues
 * go round-robin by it) and the account. Opaque strings; the caller namespaces them.
 */
export interface HashJobOptions {
  keys?: readonly string[];
}

export interface PasswordHasher {
  /** New hash in the configured scheme. Rejects with TypeError for over-long input, HasherBusyError when busy. */
  hash(password: string, job?: HashJobOptions): Promise<string>;
  /**
   * Checks a password against a stored hash (argon2, bcrypt, passlib pbkdf2_sha256/512, sha256/512_crypt).
   * stored=null or unparseable → runs a dummy hash (equal timing) and returns valid:false. Never throws for a
   * bad hash; rejects only with HasherBusyError. needsRehash is only ever true when valid is.
   */
  verify(
    password: string,
    stored: string | null,
    job?: HashJobOptions,
  ): Promise<{ valid: boolean; needsRehash: boolean }>;
  /** Burns the same time as a real verify, for unknown users. */
  dummyVerify(password: string, job?: HashJobOptions): Promise<void>;
  /** Current load: running and queued hash jobs. */
  stats(): { running: number; queued: number };
}

/**
 * Password hashing compatible with Flask-Security 5.x: same normalization, same HMAC "double hash" when a
 * salt is set, same stored formats, so an existing FS database logs in without a password reset.
 */
export function createPasswordHasher(options?: Partial<PasswordHashingOptions>): PasswordHasher {
  const opts = resolvePasswordHashingOptions(options);
  const gate = new HashSemaphore(opts.maxConcurrent, opts.maxQueue, opts.maxQueuedPerKey);
  reserveHashThreads(opts.maxConcurrent);
  let dummy: Promise<ParsedHash> | null = null;

  const kdf = (secret: string): Promise<string> =>
    opts.scheme === "bcrypt" ? hashBcrypt(secret, opts.bcryptCost) : hashArgon2(secret, opts.argon2);

  const refused = (password: unknown): boolean =>
    typeof password !== "string" || password.length > opts.maxPasswordLength;

  /** What the KDF is fed: the normalized password, through FS's HMAC pre-hash when a salt is configured. */
  const secretOf = (password: string): string => {
    const normalized = normalizePassword(password, opts.normalizeForm);
    return opts.salt === null ? normalized : fsPrehash(normalized, opts.salt);
  };

  /** A hash of a random password at the current scheme and parameters, made once, on first use. */
  const dummyHash = (): Promise<ParsedHash> => {
    if (!dummy) {
      const made = kdf(randomBytes(24).toString("base64")).then((stored) => {
        const parsed = identifyStoredHash(stored);
        if (!parsed) throw new Error("dummy password hash did not parse");
        return parsed;
      });
      made.catch(() => {
        if (dummy === made) dummy = null;
      });
      dummy = made;
    }
    return dummy;
  };

  /** One verify against the dummy hash: the cost of checking a real user's current-scheme hash. */
  const burn = async (secret: string): Promise<void> => {
    try {
      await (await dummyHash()).verify(secret);
    } catch {
      // only the time spent matters
    }
  };

  return {
    async hash(password, job) {
      if (typeof password !== "string") throw new TypeError("password must be a string");
      if (password.length > opts.maxPasswordLength) {
        throw new TypeError(`password is longer than ${opts.maxPasswordLength} characters`);
      }
      const secret = secretOf(password);
      return gate.run(() => kdf(secret), job?.keys);
    },

    async verify(password, stored, job) {
      if (refused(password)) return { valid: false, needsRehash: false };
      const secret = secretOf(password);
      const parsed = identifyStoredHash(stored);
      if (!parsed) {
        await gate.run(() => burn(secret), job?.keys);
        return { valid: false, needsRehash: false };
      }
      const valid = await gate.run(() => parsed.verify(secret), job?.keys);
      return { valid, needsRehash: valid && parsed.outdated(opts) };
    },

    async dummyVerify(password, job) {
      // Mirrors verify: over-long input is refused without hashing there too, so timing stays equal.
      if (refused(password)) return;
      const secret = secretOf(password);
      await gate.run(() => burn(secret), job?.keys);
    },

    stats: () => gate.stats(),
  };
}
