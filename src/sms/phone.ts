import { createRequire } from "node:module";
import type { CountryCode } from "libphonenumber-js/max";

// libphonenumber's full metadata (several MB) loads when a number is first normalized, not on import.
const require = createRequire(import.meta.url);
let lib: typeof import("libphonenumber-js/max") | undefined;
const phoneLib = () => (lib ??= require("libphonenumber-js/max") as typeof import("libphonenumber-js/max"));

/**
 * Phone numbers as stored and dialled: E.164 (`+16505551212`). Parsing and validation are libphonenumber's
 * (full metadata), never hand-written. FS normalizes with the `phonenumbers` port of the same library and
 * SECURITY_PHONE_REGION_DEFAULT ("US") for numbers typed without a country code.
 */

/** Longer input is refused before parsing (no real number, with formatting, comes near it). */
const MAX_INPUT_LENGTH = 64;

/**
 * The E.164 form of `raw`, or null when it is not a valid, dialable number (unknown ranges, wrong length,
 * extensions: an SMS cannot reach an extension). `defaultRegion` (ISO 3166 alpha-2) applies to numbers
 * typed without `+<country code>`; an unsupported region is a TypeError (a configuration bug).
 */
export function normalizePhone(raw: string, defaultRegion = "US"): string | null {
  const region = defaultRegion.toUpperCase();
  const { isSupportedCountry, parsePhoneNumberFromString } = phoneLib();
  if (!isSupportedCountry(region)) throw new TypeError(`normalizePhone: unsupported default region "${defaultRegion}"`);
  if (typeof raw !== "string" || raw.length > MAX_INPUT_LENGTH || raw.trim() === "") return null;
  if (/[\r\n\0]/.test(raw)) return null;
  const parsed = parsePhoneNumberFromString(raw, { defaultCountry: region as CountryCode });
  if (!parsed || parsed.ext || !parsed.isValid()) return null;
  return parsed.number;
}
