import type { MessageRef } from "../../core/http/respond.js";
import type { Runtime } from "../../core/runtime.js";
import { wanConfig } from "./ceremony.js";

/**
 * A passkey's name as FS 5.9 sanitizes it (input_svn): trimmed, nothing markup-like, NFKD-normalized, every
 * character in one of the allowed Unicode general categories (WAN_NAME_ALLOWED_CHARS), then at most
 * WAN_NAME_MAX_LENGTH characters. The character class is built from the configured category names, which the
 * config validates as category-shaped names; nothing is escaped by hand.
 */
export type CheckedName = { ok: true; name: string } | { ok: false; ref: MessageRef };

const classes = new WeakMap<object, RegExp>();

function allowedChars(rt: Runtime): RegExp {
  const cfg = wanConfig(rt);
  let re = classes.get(cfg);
  if (!re) {
    re = new RegExp(`^[${cfg.nameAllowedChars.map((c) => `\\p{${c}}`).join("")}]*$`, "u");
    classes.set(cfg, re);
  }
  return re;
}

export function checkPasskeyName(rt: Runtime, raw: string | undefined): CheckedName {
  const trimmed = (raw ?? "").trim();
  if (!trimmed) return { ok: false, ref: { code: "WEBAUTHN_NAME_REQUIRED" } };
  const name = trimmed.normalize("NFKD");
  if (!allowedChars(rt).test(name)) return { ok: false, ref: { code: "INVALID_INPUT" } };
  const max = wanConfig(rt).nameMaxLength;
  if ([...name].length > max) return { ok: false, ref: { code: "INVALID_INPUT_LENGTH", params: { length: max } } };
  return { ok: true, name };
}
