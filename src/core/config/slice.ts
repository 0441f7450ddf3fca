import type { z } from "zod";
import type { ConfigIssue } from "../errors.js";
import type { EnvKind } from "./env.js";

/**
 * A feature's own configuration: its zod schema (every default filled in), its Flask-Security environment
 * names, and what each key means (for docs/configuration.md). The composition root hands every enabled
 * feature's slice to resolveConfig; the resolved value sits at `config[key]` and the feature reads it back,
 * typed, with `sliceOf(config, slice)`.
 */
export interface ConfigSlice<S extends z.ZodObject = z.ZodObject> {
  key: string;
  schema: S;
  /** Environment name → [path inside this slice, how to convert]. */
  env: Record<string, [path: string, kind: EnvKind]>;
  /** Path inside this slice → one-line meaning. */
  meanings: Record<string, string>;
  /** Cross-field checks on the resolved slice (and the whole config). */
  validate?(value: z.output<S>, config: Record<string, unknown>): ConfigIssue[];
}

export function defineSlice<S extends z.ZodObject>(slice: ConfigSlice<S>): ConfigSlice<S> {
  return slice;
}

/** The resolved, frozen value of a feature's slice. */
export function sliceOf<S extends z.ZodObject>(config: object, slice: ConfigSlice<S>): Readonly<z.output<S>> {
  const value = (config as Record<string, unknown>)[slice.key];
  if (value === undefined) throw new TypeError(`config slice "${slice.key}" was not resolved (feature not composed?)`);
  return value as z.output<S>;
}
