import { z } from "zod";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { envNameFor } from "./env.js";
import type { ConfigSlice } from "./slice.js";
import { configSchema, type RampartConfig, type RampartConfigInput } from "./slices.js";
import { corsIssues } from "./headers-slice.js";
import { jwtIssues } from "./jwt-slice.js";

export { configFromEnv, envMap, type EnvKind } from "./env.js";
export { key, describeKeys, type KeyMeta } from "./declare.js";
export { defineSlice, sliceOf, type ConfigSlice, type RampartConfigSlices } from "./slice.js";
export type { RampartConfig, RampartConfigInput } from "./slices.js";

const PLACEHOLDER_SECRETS = /^(secret|changeme|change-me|super-secret|your-secret-key|dev|development|test)$/i;

/** Names a config path the way the user wrote it: the FS env name when there is one. */
function keyNamer(slices: readonly ConfigSlice[]): (path: string) => string {
  return (path) => {
    const env = envNameFor(path, slices);
    return env ? `${env} (${path})` : path;
  };
}

/**
 * Validates the whole configuration once, reports every problem together (each naming its key), fills in
 * defaults and freezes the result. Throws ConfigError.
 */
export function resolveConfig(
  input: RampartConfigInput,
  extraIssues: ConfigIssue[] = [],
  slices: readonly ConfigSlice[] = [],
): RampartConfig {
  const issues: ConfigIssue[] = [...extraIssues];
  const keyName = keyNamer(slices);
  const schema = configSchema.extend(Object.fromEntries(slices.map((s) => [s.key, s.schema.prefault({})])));
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const at = issue.path.join(".");
      // Strict objects: each unknown key is named by its full path (a typo must not silently turn a feature off).
      if (issue.code === "unrecognized_keys") {
        for (const name of issue.keys)
          issues.push({
            key: at ? `${at}.${name}` : name,
            message: "unknown key (misspelled, or not a Rampart setting)",
          });
      } else issues.push({ key: keyName(at), message: issue.message });
    }
    throw new ConfigError(issues);
  }
  const c = parsed.data as z.output<typeof configSchema> & Record<string, unknown>;
  for (const slice of slices) {
    for (const issue of slice.validate?.(c[slice.key] as never, c) ?? [])
      issues.push({ ...issue, key: keyName(issue.key) });
  }
  if (!c.secretKey) {
    issues.push({
      key: "SECRET_KEY (secretKey)",
      message: "is required outside development mode (generate one with: rampart secrets generate)",
    });
  } else if (!c.development && (Buffer.byteLength(c.secretKey) < 32 || PLACEHOLDER_SECRETS.test(c.secretKey))) {
    issues.push({
      key: "SECRET_KEY (secretKey)",
      message: "must be at least 32 random bytes and not a placeholder (generate one with: rampart secrets generate)",
    });
  }
  if (c.password.salt !== null && !c.development && Buffer.byteLength(c.password.salt) < 16) {
    issues.push({ key: keyName("password.salt"), message: "must be at least 16 characters" });
  }
  if (c.session.absoluteTimeoutSeconds < c.session.idleTimeoutSeconds) {
    issues.push({
      key: keyName("session.absoluteTimeoutSeconds"),
      message: "must not be shorter than the idle timeout",
    });
  }
  if (c.username.maxLength < c.username.minLength) {
    issues.push({ key: keyName("username.maxLength"), message: "must be at least username.minLength" });
  }
  if (c.password.lengthMax < c.password.lengthMin) {
    issues.push({ key: keyName("password.lengthMax"), message: "must be at least password.lengthMin" });
  }
  if (c.csrf.protectMechanisms.length !== new Set(c.csrf.protectMechanisms).size) {
    issues.push({ key: keyName("csrf.protectMechanisms"), message: "lists a mechanism twice" });
  }
  for (const origin of c.csrf.trustedOrigins) {
    const ok = z.url().safeParse(origin).success && new URL(origin).origin === origin;
    if (!ok)
      issues.push({
        key: keyName("csrf.trustedOrigins"),
        message: `"${origin}" is not an origin like https://app.example`,
      });
  }
  issues.push(...corsIssues(c.cors, keyName));
  issues.push(...jwtIssues(c.token, c.baseUrl, keyName));
  if (issues.length) throw new ConfigError(issues);

  const secure = c.session.cookieSecure ?? !c.development;
  const resolved = {
    ...c,
    secretKey: c.secretKey!,
    session: {
      ...c.session,
      cookieSecure: secure,
      cookieName: c.session.cookieName ?? (secure ? "__Host-rampart_session" : "rampart_session"),
      rememberCookieName: c.session.rememberCookieName ?? (secure ? "__Host-remember_token" : "remember_token"),
    },
  };
  return deepFreeze(resolved) as RampartConfig;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
