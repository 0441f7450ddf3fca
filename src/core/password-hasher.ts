import { HasherBusyError, HashingOptionsError } from "../crypto/errors.js";
import {
  createPasswordHasher as createCryptoHasher,
  type PasswordHasher,
  type PasswordHashingOptions,
} from "../crypto/passwords/index.js";
import { ConfigError, HashQueueFullError } from "./errors.js";

/** The crypto layer's errors as members of Rampart's family (the crypto layer does not know core). */
export function fromCryptoError(error: unknown): unknown {
  if (error instanceof HasherBusyError) return new HashQueueFullError({ cause: error });
  if (error instanceof HashingOptionsError) return new ConfigError(error.issues, { cause: error });
  return error;
}

/**
 * The password hasher Rampart and apps use: the crypto one, with its refusals raised as HashQueueFullError
 * (answered 503) and ConfigError.
 */
export function createPasswordHasher(options?: Partial<PasswordHashingOptions>): PasswordHasher {
  let hasher: PasswordHasher;
  try {
    hasher = createCryptoHasher(options);
  } catch (error) {
    throw fromCryptoError(error);
  }
  const mapped =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      fn(...args).catch((error: unknown) => Promise.reject(fromCryptoError(error)));
  return {
    hash: mapped(hasher.hash),
    verify: mapped(hasher.verify),
    dummyVerify: mapped(hasher.dummyVerify),
    stats: () => hasher.stats(),
  };
}

export type { PasswordHasher, PasswordHashingOptions };
