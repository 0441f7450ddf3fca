import type { Runtime } from "../../core/runtime.js";
import { wanConfig } from "./ceremony.js";

/**
 * A passkey's name as typed, made canonical (FS 5.9 name_svn): trimmed, NFKD-normalized, every character of an
 * allowed Unicode general category (WAN_NAME_ALLOWED_CHARS), at most WAN_NAME_MAX_LENGTH long. The same name
 * typed in another Unicode form is the same name.
 */
export type CleanName = { ok: true; name: string } | { ok: false; code: "INVALID_INPUT" | "INVALID_INPUT_LENGTH" };

const patterns = new Map<string, RegExp>();

function allowedPattern(categories: readonly string[]): RegExp {
  const key = categories.join(",");
  let pattern = patterns.get(key);
  if (!pattern) {
    // Category names are validated by the config slice (one capital, maybe one small letter): \p{..} takes them.
    pattern = new RegExp(`^[${categories.map((c) => `\\p{${c}}`).join("")}]*$`, "u");
    patterns.set(key, pattern);
  }
  return pattern;
}

export function cleanName(rt: Runtime, raw: string): CleanName {
  const cfg = wanConfig(rt);
  const name = raw.trim().normalize("NFKD");
  if (!allowedPattern(cfg.nameAllowedChars).test(name)) return { ok: false, code: "INVALID_INPUT" };
  if ([...name].length > cfg.nameMaxLength) return { ok: false, code: "INVALID_INPUT_LENGTH" };
  return { ok: true, name };
}
