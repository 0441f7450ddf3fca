import { createRequire } from "node:module";
import type { ZxcvbnFactory } from "@zxcvbn-ts/core";

/**
 * The dictionaries cost about 30 MB of heap, and only a new password's check needs them: they load on first
 * use, not at import. (Node resolves these packages to their CommonJS builds either way.)
 */
const require = createRequire(import.meta.url);

/**
 * Password strength scoring (0–4) with zxcvbn-ts, Flask-Security's PASSWORD_COMPLEXITY_CHECKER = "zxcvbn".
 *
 * zxcvbn runs synchronously on the event loop, and its cost grows quickly with length and with the number of
 * l33t variants it tries (a 128-character random string took 1.5 s with the library defaults). Two bounds
 * keep one call in the tens of milliseconds:
 *  - only the first SCORED_PREFIX characters are scored. A longer password is judged by its prefix, which can
 *    only make the verdict stricter, never weaker (a weak 64-character prefix is weak);
 *  - at most L33T_VARIANTS l33t-substituted variants are tried (library default 100).
 */
const SCORED_PREFIX = 64;
const L33T_VARIANTS = 20;
/** Context words shorter than this (in code points) are not stripped by the context rule. */
const MIN_CONTEXT_WORD = 3;

let factory: ZxcvbnFactory | null = null;

/** Loads and builds the scorer once (ranking the dictionaries takes ~200 ms); later calls reuse it. */
function scorer(): ZxcvbnFactory {
  if (factory) return factory;
  const core = require("@zxcvbn-ts/core") as typeof import("@zxcvbn-ts/core");
  const common = require("@zxcvbn-ts/language-common") as typeof import("@zxcvbn-ts/language-common");
  const english = require("@zxcvbn-ts/language-en") as typeof import("@zxcvbn-ts/language-en");
  factory = new core.ZxcvbnFactory({
    translations: english.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...english.dictionary },
    maxLength: SCORED_PREFIX,
    l33tMaxSubstitutions: L33T_VARIANTS,
  });
  return factory;
}

/** Pays the one-time dictionary setup now (e.g. at boot) instead of on the first registration. */
export function prepareZxcvbn(): void {
  scorer();
}

/**
 * `s` as a literal pattern under the `u` flag. That flag allows `\` only before the pattern syntax characters
 * and `/`: escaping anything else (such as `-`, common in addresses) is a syntax error, not a no-op.
 */
function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

/** The password with every (case-insensitive) occurrence of each context word of 3+ code points removed. */
export function withoutContextWords(password: string, userInputs: readonly string[]): string {
  const words = userInputs.filter((w) => [...w].length >= MIN_CONTEXT_WORD).sort((a, b) => b.length - a.length);
  let rest = password;
  for (const word of words) rest = rest.replace(new RegExp(escapeRegExp(word), "giu"), "");
  return rest;
}

/**
 * zxcvbn score (0 = trivially guessable … 4 = very strong) of `password`, with `userInputs` (the user's
 * email, its local part, username…) added as a dictionary the attacker is assumed to know.
 *
 * Rampart's context rule on top of plain zxcvbn: the user's own identifiers add no strength. When the password
 * contains one of them, the part that is left once they are removed is scored too and the lower score wins.
 * Plain zxcvbn gives "alice.smith2024!!" with the input "alice.smith" a 3 (its sequence penalty alone puts it
 * just over the 10^8-guesses line); what protects it is "2024!!", which scores 1.
 */
export function passwordScore(password: string, userInputs: readonly string[] = []): number {
  const inputs = [...new Set(userInputs.map((s) => s.trim().toLowerCase()).filter((s) => s !== ""))];
  const z = scorer();
  const score = z.check(password, inputs).score;
  const rest = withoutContextWords(password, inputs);
  if (rest === password) return score;
  return Math.min(score, rest === "" ? 0 : z.check(rest, inputs).score);
}
