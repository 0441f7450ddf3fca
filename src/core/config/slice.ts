import type { z } from "zod";
import type { ConfigIssue } from "../errors.js";
import { describeKeys, type EnvKind } from "./declare.js";

/**
 * A feature's own configuration: a strict zod object whose keys are declared with `key(schema, { env, doc })`
 * (every default filled in). The composition root hands every feature's slice to resolveConfig — enabled or
 * not, so a valid key of a feature that is off is accepted and a misspelt one refused; the resolved value sits
 * at `config[key]` and the feature reads it back, typed, with `sliceOf(config, slice)`.
 */
export interface SliceDeclaration<S extends z.ZodObject = z.ZodObject, K extends string = string> {
  key: K;
  schema: S;
  /** Cross-field checks on the resolved slice (and the whole config). */
  validate?(value: z.output<S>, config: Record<string, unknown>): ConfigIssue[];
}

export interface ConfigSlice<S extends z.ZodObject = z.ZodObject, K extends string = string> extends SliceDeclaration<
  S,
  K
> {
  /** Environment name → [path inside this slice, conversion], read from the keys' declarations. */
  readonly env: Readonly<Record<string, [path: string, kind: EnvKind]>>;
  /** Path inside this slice → one-line meaning, read from the keys' declarations. */
  readonly meanings: Readonly<Record<string, string>>;
}

/**
 * Every slice's input, by its key, for the app-facing config type. Each slice's file adds itself:
 * `declare module "…/core/config/slice.js" { interface RampartConfigSlices { twoFactor: typeof twoFactorSlice } }`
 * (an app's own feature does the same on "rampart").
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface RampartConfigSlices {}

/** The config input of the registered slices, each optional, each checked key by key. */
export type SliceInputs = {
  [K in keyof RampartConfigSlices]?: RampartConfigSlices[K] extends ConfigSlice<infer S, K> ? z.input<S> : never;
};

export function defineSlice<S extends z.ZodObject, const K extends string>(
  slice: SliceDeclaration<S, K>,
): ConfigSlice<S, K> {
  const keys = describeKeys(slice.schema);
  return {
    ...slice,
    env: Object.fromEntries(keys.flatMap((k) => (k.meta.env ? [[k.meta.env, [k.path, k.kind]]] : []))),
    meanings: Object.fromEntries(keys.flatMap((k) => (k.meta.doc ? [[k.path, k.meta.doc]] : []))),
  };
}

/** The resolved, frozen value of a feature's slice. */
export function sliceOf<S extends z.ZodObject>(config: object, slice: ConfigSlice<S>): Readonly<z.output<S>> {
  const value = (config as Record<string, unknown>)[slice.key];
  if (value === undefined) throw new TypeError(`config slice "${slice.key}" was not resolved (feature not composed?)`);
  return value as z.output<S>;
}
