import { createRequire } from "node:module";
import { runOnHashThread } from "./hash-threads.js";
import type { ParsedHash } from "./parsed-hash.js";
import { bcryptSecret } from "./prehash.js";

// The native addon loads when a stored hash is first parsed (hashing itself runs on worker threads), not on import.
const require = createRequire(import.meta.url);
let addon: typeof import("@node-rs/bcrypt") | undefined;
const parseOptions = (stored: string) =>
  (addon ??= require("@node-rs/bcrypt") as typeof import("@node-rs/bcrypt")).parseOptions(stored);

const FORMAT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/**
 * New $2b$ hash. The secret is cut to its first 72 UTF-8 bytes first, as FS 5.7+ hash_password does (bcrypt
 * never reads further, so hashes made before 5.7 from the whole 88-character pre-hash are the same).
 */
export async function hashBcrypt(secret: string, cost: number): Promise<string> {
  return (await runOnHashThread("bcrypt.hash", bcryptSecret(secret), { cost })) as string;
}

/** $2a$ / $2b$ / $2y$ modular-crypt strings. */
export function parseBcrypt(stored: string): ParsedHash | null {
  if (!FORMAT.test(stored)) return null;
  let cost: number;
  try {
    cost = parseOptions(stored).cost;
  } catch {
    return null;
  }
  return {
    scheme: "bcrypt",
    async verify(secret) {
      try {
        return (await runOnHashThread("bcrypt.verify", bcryptSecret(secret), stored)) === true;
      } catch {
        return false;
      }
    },
    outdated: (options) => options.scheme !== "bcrypt" || cost !== options.bcryptCost,
  };
}
