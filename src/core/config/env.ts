import { describeKeys, type DescribedKey, type EnvKind } from "./declare.js";
import { convert, isNone } from "./env-values.js";
import { PASSLIB_ENV_NAMES, passlibOptions } from "./passlib-env.js";
import type { ConfigSlice } from "./slice.js";
import { configSchema, type RampartConfigInput } from "./slices.js";

export type { EnvKind } from "./declare.js";

/**
 * Maps Flask-Security's environment names onto the typed config, from the keys' own declarations. Durations
 * are seconds or FS's `"<n> <unit>"`; lists accept JSON (["a","b"]) or comma-separated text; a nullable key
 * takes `none`.
 */
type EnvEntry = DescribedKey & { env: string };

function entries(keys: DescribedKey[]): [string, EnvEntry][] {
  return keys.flatMap((k) => (k.meta.env ? [[k.meta.env, { ...k, env: k.meta.env }] as [string, EnvEntry]] : []));
}

const coreEntries = entries(describeKeys(configSchema));

/** Environment name → [config path, conversion] of the core keys. */
export const envMap: Record<string, [path: string, kind: EnvKind]> = Object.fromEntries(
  coreEntries.map(([name, e]) => [name, [e.path, e.kind]]),
);

function fullEntries(slices: readonly ConfigSlice[]): Map<string, EnvEntry> {
  return new Map([...coreEntries, ...slices.flatMap((s) => entries(describeKeys(s.schema, s.key)))]);
}

/** The core map plus every feature slice's names (paths prefixed with the slice key). */
export function fullEnvMap(slices: readonly ConfigSlice[]): Record<string, [string, EnvKind]> {
  return Object.fromEntries([...fullEntries(slices)].map(([name, e]) => [name, [e.path, e.kind]]));
}

export function envNameFor(path: string, slices: readonly ConfigSlice[]): string | undefined {
  for (const [name, e] of fullEntries(slices)) if (e.path === path) return name;
  return undefined;
}

export interface EnvParseResult {
  config: RampartConfigInput;
  issues: { key: string; message: string }[];
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** Reads every known variable from `env`; unknown SECURITY_* names are reported so typos surface. */
export function configFromEnv(
  env: Record<string, string | undefined>,
  extraKnown: string[] = [],
  slices: readonly ConfigSlice[] = [],
): EnvParseResult {
  const config: Record<string, unknown> = {};
  const issues: EnvParseResult["issues"] = [];
  const map = fullEntries(slices);
  // Which variable set each path, so two names for one key (RAMPART_BCRYPT_COST and bcrypt__rounds) are caught.
  const setBy = new Map<string, string>();
  const assign = (name: string, path: string, value: unknown) => {
    const earlier = setBy.get(path);
    if (earlier && earlier !== name)
      issues.push({ key: name, message: `sets ${path}, which ${earlier} sets too: keep one` });
    setBy.set(path, name);
    setPath(config, path, value);
  };
  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (raw === undefined) continue;
    if ((PASSLIB_ENV_NAMES as readonly string[]).includes(name)) {
      const parsed = passlibOptions(name as (typeof PASSLIB_ENV_NAMES)[number], raw);
      if (!parsed.ok) issues.push({ key: name, message: parsed.message });
      else for (const [path, value, option] of parsed.values) assign(`${name} (${option})`, path, value);
      continue;
    }
    const entry = map.get(name);
    if (!entry) {
      if (name.startsWith("SECURITY_") && !extraKnown.includes(name)) {
        issues.push({ key: name, message: "unknown setting (not supported by Rampart yet, or misspelled)" });
      }
      continue;
    }
    if (isNone(raw.trim()) && (entry.nullable || entry.meta.noneIsDefault)) {
      if (entry.nullable) assign(name, entry.path, null);
      continue;
    }
    const converted = convert(raw, entry.kind);
    if (converted.ok) assign(name, entry.path, converted.value);
    else issues.push({ key: name, message: converted.message });
  }
  return { config: config as RampartConfigInput, issues };
}
