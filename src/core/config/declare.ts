import { z } from "zod";

/**
 * One place per config key: `key(schema, { env, doc })` puts the environment name and the meaning on the
 * key's own schema, and everything else (the env map, the generated docs/configuration.md, error names) is
 * read back from the schemas by `describeKeys`. How an environment value is converted follows from the
 * schema: booleans, whole numbers, lists, JSON for objects and records, text otherwise; a number whose path
 * ends in `Seconds` is a duration; a nullable key also takes `none`.
 */
export type EnvKind = "string" | "bool" | "int" | "duration" | "list" | "json";

export interface KeyMeta {
  /** Environment name: Flask-Security's (SECURITY_*, MAIL_*, …) where one exists, else RAMPART_*. */
  env?: string;
  /** One-line meaning for the reference. Required on every leaf key. */
  doc?: string;
  /** Override of the conversion the schema implies. */
  kind?: EnvKind;
  /** The environment value `none` leaves the key at its default (for keys FS allows None on but Rampart types without null). */
  noneIsDefault?: boolean;
}

const registry = z.registry<KeyMeta>();

/** Declares a config key: its schema plus its environment name and meaning. */
export function key<S extends z.ZodType>(schema: S, meta: KeyMeta): S {
  // A copy, so one shared schema (a `view` used by three keys) can carry three declarations.
  const own = schema.clone() as S;
  registry.add(own, meta);
  return own;
}

export interface DescribedKey {
  /** Dotted path from the root of the schema walked (prefixed by the slice key for feature slices). */
  path: string;
  meta: KeyMeta;
  /** How the environment value converts. */
  kind: EnvKind;
  /** `none` (and an empty value) mean null. */
  nullable: boolean;
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; shape?: Record<string, z.ZodType> };
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under defaults, nullability and preprocessing, and whether null was allowed on the way. */
function unwrap(schema: z.ZodType): { core: z.ZodType; nullable: boolean } {
  let nullable = false;
  let node = schema;
  for (;;) {
    const def = defOf(node);
    if (def.type === "nullable") nullable = true;
    if (["default", "prefault", "nullable", "optional", "readonly", "catch"].includes(def.type)) node = def.innerType!;
    else if (def.type === "pipe") node = defOf(def.in!).type === "transform" ? def.out! : def.in!;
    else return { core: node, nullable };
  }
}

function inferKind(core: z.ZodType, path: string): EnvKind {
  switch (defOf(core).type) {
    case "boolean":
      return "bool";
    case "number":
      return /Seconds$/.test(path) ? "duration" : "int";
    case "array":
      return "list";
    case "object":
    case "record":
      return "json";
    default:
      return "string";
  }
}

/** Every declared key of an object schema, nested objects included, depth first in declaration order. */
export function describeKeys(schema: z.ZodType, prefix = ""): DescribedKey[] {
  const out: DescribedKey[] = [];
  const { core } = unwrap(schema);
  const shape = defOf(core).type === "object" ? defOf(core).shape! : {};
  for (const [name, field] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${name}` : name;
    const meta = registry.get(field);
    const { core: inner, nullable } = unwrap(field);
    if (meta) out.push({ path, meta, kind: meta.kind ?? inferKind(inner, path), nullable });
    if (defOf(inner).type === "object") out.push(...describeKeys(inner, path));
  }
  return out;
}
