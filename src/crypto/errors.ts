/**
 * Errors of the crypto layer. It stands alone (it imports nothing from core), so it has its own small family;
 * core turns these into its public errors (src/core/password-hasher.ts).
 */
export type CryptoErrorCode = "HASH_QUEUE_FULL" | "INVALID_HASHING_OPTIONS";

export class CryptoError extends Error {
  readonly code: CryptoErrorCode;
  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.name = "CryptoError";
    this.code = code;
  }
}

/** Too many hash jobs are already waiting: refused at once instead of piling up memory. */
export class HasherBusyError extends CryptoError {
  declare readonly code: "HASH_QUEUE_FULL";
  constructor() {
    super("HASH_QUEUE_FULL", "password hashing queue is full");
    this.name = "HasherBusyError";
  }
}

/** One bad hashing option, named by its FS setting or option path. */
export interface HashingOptionIssue {
  key: string;
  message: string;
}

/** The hashing options were refused; `issues` lists every problem found. */
export class HashingOptionsError extends CryptoError {
  declare readonly code: "INVALID_HASHING_OPTIONS";
  readonly issues: HashingOptionIssue[];
  constructor(issues: HashingOptionIssue[]) {
    super(
      "INVALID_HASHING_OPTIONS",
      "Invalid password hashing options:\n" + issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n"),
    );
    this.name = "HashingOptionsError";
    this.issues = issues;
  }
}
