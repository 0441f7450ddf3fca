/**
 * Flask-Security's hashing parameters, in passlib's names: SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS is a JSON
 * object `{"<scheme>__<option>": value}` (e.g. `{"argon2__rounds": 3, "bcrypt__rounds": 13}`), the deprecated
 * SECURITY_PASSWORD_HASH_OPTIONS the same per scheme (`{"argon2": {"rounds": 3}}`). Each option Rampart has
 * an equivalent for lands on its key; any other is refused by name, so a setting never silently does nothing.
 */
export const PASSLIB_OPTION_PATHS: Record<string, string> = {
  argon2__rounds: "password.argon2.timeCost",
  argon2__time_cost: "password.argon2.timeCost",
  argon2__memory_cost: "password.argon2.memoryCost",
  argon2__parallelism: "password.argon2.parallelism",
  bcrypt__rounds: "password.bcryptCost",
};

export const PASSLIB_ENV_NAMES = ["SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS", "SECURITY_PASSWORD_HASH_OPTIONS"] as const;

export type PasslibResult =
  { ok: true; values: [path: string, value: number, option: string][] } | { ok: false; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function passlibOptions(name: (typeof PASSLIB_ENV_NAMES)[number], raw: string): PasslibResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.trim() || "{}");
  } catch {
    return { ok: false, message: "expected a JSON object" };
  }
  if (!isObject(parsed)) return { ok: false, message: "expected a JSON object" };
  const flat: [string, unknown][] = [];
  if (name === "SECURITY_PASSWORD_HASH_OPTIONS") {
    for (const [scheme, options] of Object.entries(parsed)) {
      if (!isObject(options)) return { ok: false, message: `"${scheme}" must map to an object of options` };
      for (const [option, value] of Object.entries(options)) flat.push([`${scheme}__${option}`, value]);
    }
  } else flat.push(...Object.entries(parsed));
  const values: [string, number, string][] = [];
  for (const [option, value] of flat) {
    const path = PASSLIB_OPTION_PATHS[option];
    if (!path) {
      return {
        ok: false,
        message: `"${option}" is not supported (Rampart understands ${Object.keys(PASSLIB_OPTION_PATHS).join(", ")})`,
      };
    }
    const number = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== "number" || !Number.isInteger(number))
      return { ok: false, message: `"${option}" must be a whole number` };
    values.push([path, number, option]);
  }
  return { ok: true, values };
}
