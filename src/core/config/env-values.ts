/**
 * Conversion of one environment value by the kind its key's schema implies (see ./declare.ts), in the formats
 * Flask-Security's own configs use: `"<n> <unit>"` durations as FS's *_WITHIN settings (its units are
 * timedelta's: weeks, days, hours, minutes, seconds, milliseconds, microseconds), and `none` for a key that
 * may be null.
 */
import type { EnvKind } from "./declare.js";

export type Converted = { ok: true; value: unknown } | { ok: false; message: string };

const SECONDS_PER: Record<string, number> = {
  weeks: 7 * 24 * 3600,
  days: 24 * 3600,
  hours: 3600,
  minutes: 60,
  seconds: 1,
  milliseconds: 1e-3,
  microseconds: 1e-6,
};

/** Whole seconds from `"90"` or FS's `"<n> <unit>"` (`"1 days"`, `"30 minutes"`; the singular works too). */
export function parseDuration(text: string): Converted {
  if (/^-?\d+$/.test(text)) return { ok: true, value: Number(text) };
  const m = /^(-?\d+)\s+([a-z]+)$/i.exec(text);
  const unit = m?.[2]!.toLowerCase();
  const factor = unit === undefined ? undefined : (SECONDS_PER[unit] ?? SECONDS_PER[`${unit}s`]);
  if (!m || factor === undefined) {
    return {
      ok: false,
      message: `expected seconds or "<n> <unit>" (weeks, days, hours, minutes, seconds), got "${text}"`,
    };
  }
  const value = Number(m[1]) * factor;
  // Sub-second units only where they add up to whole seconds (every Rampart duration is in seconds).
  const rounded = Math.round(value);
  if (Math.abs(value - rounded) > 1e-9) return { ok: false, message: `"${text}" is not a whole number of seconds` };
  return { ok: true, value: rounded };
}

/** FS allows None here: `none`/`None` (and `null`, an empty value) mean null. */
export const isNone = (text: string) => text === "" || /^(none|null)$/i.test(text);

export function convert(raw: string, kind: EnvKind): Converted {
  const text = raw.trim();
  switch (kind) {
    case "string":
      return { ok: true, value: raw };
    case "bool":
      if (/^(1|true|yes|on)$/i.test(text)) return { ok: true, value: true };
      if (/^(0|false|no|off)$/i.test(text)) return { ok: true, value: false };
      return { ok: false, message: `expected true/false, got "${raw}"` };
    case "int":
      if (!/^-?\d+$/.test(text)) return { ok: false, message: `expected a whole number, got "${raw}"` };
      return { ok: true, value: Number(text) };
    case "duration":
      return parseDuration(text);
    case "list":
      if (text.startsWith("[")) {
        try {
          const v: unknown = JSON.parse(text);
          if (Array.isArray(v) && v.every((x) => typeof x === "string")) return { ok: true, value: v };
        } catch {
          /* fall through */
        }
        return { ok: false, message: "expected a JSON list of strings or comma-separated text" };
      }
      return {
        ok: true,
        value:
          text === ""
            ? []
            : text
                .split(",")
                .map((s) => s.trim())
                .filter(Boolean),
      };
    case "json":
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch {
        return { ok: false, message: "expected JSON" };
      }
  }
}
