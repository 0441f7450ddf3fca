import { createRequire } from "node:module";
import type { Algorithm, Version } from "@node-rs/argon2";
import { runOnHashThread } from "./hash-threads.js";
import type { PasswordHashingOptions } from "./options.js";
import type { ParsedHash } from "./parsed-hash.js";

// The native addon loads when a stored hash is first parsed (hashing itself runs on worker threads), not on import.
const require = createRequire(import.meta.url);
let addon: typeof import("@node-rs/argon2") | undefined;
const parseOptions = (stored: string) =>
  (addon ??= require("@node-rs/argon2") as typeof import("@node-rs/argon2")).parseOptions(stored);

// @node-rs/argon2 declares these as `const enum`s, absent at run time: spell the values out.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;
const PREFIX = /^\$argon2(?:id|i|d)\$/;
/** Sanity bounds for stored hashes (a corrupt row must not allocate unbounded memory or spin for minutes). */
const MAX_MEMORY_KIB = 4 * 1024 * 1024;
const MAX_TIME_COST = 1000;

/** New argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash), 16-byte random salt, 32-byte output. */
export async function hashArgon2(secret: string, params: PasswordHashingOptions["argon2"]): Promise<string> {
  return (await runOnHashThread("argon2.hash", secret, {
    algorithm: ARGON2ID,
    version: VERSION_0X13,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    outputLen: 32,
  })) as string;
}

/** $argon2id$ / $argon2i$ / $argon2d$ PHC strings (what passlib's argon2 handler writes and reads). */
export function parseArgon2(stored: string): ParsedHash | null {
  if (!PREFIX.test(stored)) return null;
  let params: ReturnType<typeof parseOptions>;
  try {
    params = parseOptions(stored);
  } catch {
    return null;
  }
  if (params.memoryCost > MAX_MEMORY_KIB || params.timeCost > MAX_TIME_COST) return null;
  return {
    scheme: "argon2",
    async verify(secret) {
      try {
        return (await runOnHashThread("argon2.verify", stored, secret)) === true;
      } catch {
        return false;
      }
    },
    outdated(options) {
      const want = options.argon2;
      return (
        options.scheme !== "argon2" ||
        params.algorithm !== ARGON2ID ||
        params.version !== VERSION_0X13 ||
        params.memoryCost !== want.memoryCost ||
        params.timeCost !== want.timeCost ||
        params.parallelism !== want.parallelism
      );
    },
  };
}
