import { HashingOptionsError, type HashingOptionIssue } from "../errors.js";

/** How Rampart hashes and verifies passwords; field names follow Flask-Security's SECURITY_PASSWORD_* settings. */
export interface PasswordHashingOptions {
  /** Scheme for NEW hashes (FS PASSWORD_HASH). Default "argon2". */
  scheme: "argon2" | "bcrypt";
  /** argon2id parameters for new hashes: memory in KiB, passes, lanes. Default 19456, 2, 1 (OWASP). */
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** bcrypt cost (log2 rounds) for new hashes. Default 12. */
  bcryptCost: number;
  /** FS SECURITY_PASSWORD_SALT: when set, the KDF is fed base64(HMAC-SHA512(salt, password)) ("double hash"). */
  salt: string | null;
  /** Unicode normalization applied before hashing and verifying (FS PASSWORD_NORMALIZE_FORM). Default NFKD. */
  normalizeForm: "NFKD" | "NFKC" | "NFD" | "NFC" | null;
  /** Hash/verify jobs running at once; argon2/bcrypt run on as many low-priority worker threads. Default 2. */
  maxConcurrent: number;
  /** Jobs waiting for a slot before new ones are refused with HasherBusyError. Default 256. */
  maxQueue: number;
  /** Jobs one key (a source, an account) may have waiting; more are refused. Default 32. */
  maxQueuedPerKey: number;
  /** Longer passwords (in UTF-16 code units) are refused without hashing. Default 1024. */
  maxPasswordLength: number;
}

export const defaultPasswordHashingOptions: PasswordHashingOptions = Object.freeze({
  scheme: "argon2",
  argon2: Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 }),
  bcryptCost: 12,
  salt: null,
  normalizeForm: "NFKD",
  maxConcurrent: 2,
  maxQueue: 256,
  maxQueuedPerKey: 32,
  maxPasswordLength: 1024,
}) as PasswordHashingOptions;

const NORMALIZE_FORMS = new Set(["NFKD", "NFKC", "NFD", "NFC"]);

function isInt(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

/** Defaults filled in and every field checked; throws HashingOptionsError listing all problems. */
export function resolvePasswordHashingOptions(options: Partial<PasswordHashingOptions> = {}): PasswordHashingOptions {
  const d = defaultPasswordHashingOptions;
  const o: PasswordHashingOptions = {
    scheme: options.scheme ?? d.scheme,
    argon2: { ...d.argon2, ...options.argon2 },
    bcryptCost: options.bcryptCost ?? d.bcryptCost,
    salt: options.salt === undefined ? d.salt : options.salt,
    normalizeForm: options.normalizeForm === undefined ? d.normalizeForm : options.normalizeForm,
    maxConcurrent: options.maxConcurrent ?? d.maxConcurrent,
    maxQueue: options.maxQueue ?? d.maxQueue,
    maxQueuedPerKey: options.maxQueuedPerKey ?? d.maxQueuedPerKey,
    maxPasswordLength: options.maxPasswordLength ?? d.maxPasswordLength,
  };
  const issues: HashingOptionIssue[] = [];
  const bad = (key: string, message: string) => issues.push({ key, message });
  if (o.scheme !== "argon2" && o.scheme !== "bcrypt") bad("SECURITY_PASSWORD_HASH", 'must be "argon2" or "bcrypt"');
  const a = o.argon2;
  if (!isInt(a.parallelism, 1, 255)) bad("passwords.argon2.parallelism", "must be an integer in 1..255");
  if (!isInt(a.memoryCost, 8 * (isInt(a.parallelism, 1, 255) ? a.parallelism : 1), 4 * 1024 * 1024)) {
    bad("passwords.argon2.memoryCost", "must be an integer KiB, at least 8 × parallelism and at most 4 GiB");
  }
  if (!isInt(a.timeCost, 1, 100)) bad("passwords.argon2.timeCost", "must be an integer in 1..100");
  if (!isInt(o.bcryptCost, 4, 31)) bad("passwords.bcryptCost", "must be an integer in 4..31");
  if (o.salt !== null && (typeof o.salt !== "string" || o.salt.length === 0)) {
    bad("SECURITY_PASSWORD_SALT", "must be a non-empty string or null");
  }
  if (o.normalizeForm !== null && !NORMALIZE_FORMS.has(o.normalizeForm)) {
    bad("SECURITY_PASSWORD_NORMALIZE_FORM", "must be NFKD, NFKC, NFD, NFC or null");
  }
  if (!isInt(o.maxConcurrent, 1, 1024)) bad("passwords.maxConcurrent", "must be an integer in 1..1024");
  if (!isInt(o.maxQueue, 0, 1_000_000)) bad("passwords.maxQueue", "must be an integer in 0..1000000");
  if (!isInt(o.maxQueuedPerKey, 1, 1_000_000)) bad("passwords.maxQueuedPerKey", "must be an integer in 1..1000000");
  if (!isInt(o.maxPasswordLength, 1, 1_000_000)) bad("passwords.maxPasswordLength", "must be a positive integer");
  if (issues.length > 0) throw new HashingOptionsError(issues);
  return o;
}
