import type { RampartConfig } from "../config/index.js";
import type { UserFieldSpec } from "../public-user.js";
import type { Logger, UserSerializer } from "../runtime.js";

/** Defaults of the composition root: the logger, the user serializer, and the names app fields may not take. */
export const consoleLogger: Logger = {
  info: (m) => console.log(`[rampart] ${m}`),
  warn: (m) => console.warn(`[rampart] ${m}`),
  error: (m, e) => console.error(`[rampart] ${m}`, e instanceof Error ? (e.stack ?? e.message) : (e ?? "")),
};

/** App fields may not shadow what Rampart owns (identity, credentials, status, uniquifiers, factors). */
const RESERVED_FIELD =
  /^(id|email|username|password|active|roles?|permissions|confirmed_at|authentication_token(_expires_at)?|refresh_token|csrf_token|create_datetime|update_datetime|login_count|(current|last)_login_(at|ip)|profile|(fs|tf|us|mf)_.*|__proto__|constructor|prototype)$/i;
export function reservedUserFieldIssues(fields: Record<string, unknown>) {
  return Object.keys(fields)
    .filter((name) => RESERVED_FIELD.test(name) || !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name))
    .map((name) => ({
      key: `userFields.${name}`,
      message: "is reserved by Rampart or not a plain field name (letters, digits, _)",
    }));
}

/**
 * Default `response.user`: the email (and username when enabled) plus the app's exposed profile fields.
 * FS's default is {}; see docs/decisions.md.
 */
export function defaultSerializer(config: RampartConfig, fields: Record<string, UserFieldSpec>): UserSerializer {
  const exposed = Object.entries(fields)
    .filter(([, spec]) => spec.expose !== false)
    .map(([name]) => name);
  return (user) => {
    const out: Record<string, unknown> = config.username.enable
      ? { email: user.email, username: user.username }
      : { email: user.email };
    for (const name of exposed) out[name] = user.profile?.[name] ?? null;
    return out;
  };
}
