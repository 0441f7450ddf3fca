/**
 * A passkey's name as Flask-Security 5.9 accepts it (its `input_svn`): surrounding spaces trimmed; no markup; every
 * character of a Unicode general category listed in WAN_NAME_ALLOWED_CHARS (letters, digits, connector and dash
 * punctuation, spaces by default); then normalized (NFKD, as FS's INPUT_NORMALIZE_FORM default) and at most
 * WAN_NAME_MAX_LENGTH characters. The stored name is the normalized one, so "Key Ⅰ" and "Key I" are one name.
 */
import type { Runtime } from "../../core/runtime.js";
import { wanConfig } from "./ceremony.js";

export type NameCheck =
  | { ok: true; name: string }
  | { ok: false; code: "WEBAUTHN_NAME_REQUIRED" | "INVALID_INPUT" }
  | { ok: false; code: "INVALID_INPUT_LENGTH"; length: number };

const classes = new Map<string, RegExp>();

/**
 * The allowed characters as one regular expression built from the configured category names (validated against
 * the list of Unicode general categories at start, so nothing here needs escaping). A one-letter name is the
 * whole class ("L": every letter); a two-letter one that category only ("Zs": space separators, not line breaks).
 */
function allowedChars(categories: readonly string[]): RegExp {
  const key = categories.join(",");
  let re = classes.get(key);
  if (!re) {
    re = categories.length ? new RegExp(`^[${categories.map((c) => `\\p{${c}}`).join("")}]*$`, "u") : /^$/u;
    classes.set(key, re);
  }
  return re;
}

/** The characters an HTML sanitizer would change (FS refuses a name its sanitizer alters). */
const MARKUP = /[<>&]/;

export function cleanPasskeyName(rt: Runtime, raw: string | undefined | null): NameCheck {
  const cfg = wanConfig(rt);
  const trimmed = (raw ?? "").trim();
  if (!trimmed) return { ok: false, code: "WEBAUTHN_NAME_REQUIRED" };
  // Categories are judged before normalization, as FS does: "é" is a letter even though NFKD splits off its accent.
  if (MARKUP.test(trimmed) || !allowedChars(cfg.nameAllowedChars).test(trimmed))
    return { ok: false, code: "INVALID_INPUT" };
  const name = trimmed.normalize("NFKD");
  // Characters, not UTF-16 units (as Python counts): an astral letter is one.
  if ([...name].length > cfg.nameMaxLength)
    return { ok: false, code: "INVALID_INPUT_LENGTH", length: cfg.nameMaxLength };
  return { ok: true, name };
}
