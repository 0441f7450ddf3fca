import { describeKeys } from "./declare.js";
import { envNameFor } from "./env.js";
import { resolveConfig } from "./index.js";
import { PASSLIB_OPTION_PATHS } from "./passlib-env.js";
import { configSchema } from "./slices.js";
import type { ConfigSlice } from "./slice.js";

/** Leaf paths of the default configuration (core + the given slices) with their default values. */
export function configLeaves(slices: readonly ConfigSlice[]): [string, unknown][] {
  const defaults = resolveConfig({ secretKey: "x".repeat(40) }, [], slices) as unknown as Record<string, unknown>;
  const out: [string, unknown][] = [];
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length && path !== "messages")
        walk(v as Record<string, unknown>, path);
      else out.push([path, v]);
    }
  };
  walk(defaults, "");
  for (const optional of Object.keys(allMeanings(slices))) {
    if (!out.some(([p]) => p === optional || p.startsWith(`${optional}.`))) out.push([optional, undefined]);
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

/** Every declared meaning (core and each slice), keyed by full path. */
export function allMeanings(slices: readonly ConfigSlice[]): Record<string, string> {
  const keys = [...describeKeys(configSchema), ...slices.flatMap((s) => describeKeys(s.schema, s.key))];
  return Object.fromEntries(keys.flatMap((k) => (k.meta.doc ? [[k.path, k.meta.doc]] : [])));
}

const shown = (path: string, value: unknown) => {
  if (path === "secretKey") return "— (required)";
  if (path === "session.cookieName") return "`__Host-rampart_session`";
  if (path === "session.rememberCookieName") return "`__Host-remember_token`";
  if (path === "twoFactor.validityCookieName") return "`__Host-tf_validity`";
  if (value === undefined) return "—";
  return "`" + JSON.stringify(value) + "`";
};

export function renderConfigReference(slices: readonly ConfigSlice[]): string {
  const meanings = allMeanings(slices);
  const rows = configLeaves(slices).map(([path, value]) => {
    const env = envNameFor(path, slices);
    return `| \`${path}\` | ${env ? `\`${env}\`` : ""} | ${shown(path, value)} | ${meanings[path] ?? ""} |`;
  });
  return `# Configuration reference

Generated from the code by \`npx tsx scripts/config-doc.ts > docs/configuration.md\`; a test fails when it is stale.
Pass options to \`createRampart({ config })\` by their path (\`{ token: { maxAgeSeconds: 600 } }\`); the standalone
server (and an app, through \`configFromEnv\`) reads the environment names (Flask-Security's where one exists).
Durations are seconds; in the environment they may also be written as Flask-Security's \`"<n> <unit>"\`
(\`"1 days"\`, \`"30 minutes"\`; units weeks, days, hours, minutes, seconds). Lists in the environment are JSON
(\`["session","token"]\`) or comma-separated; a key whose default is null also takes \`none\`. An unknown key is
an error naming it. Every problem is reported at startup at once, each naming its key; the resolved config is
frozen.

| Key | Environment | Default | Meaning |
|---|---|---|---|
${rows.join("\n")}

Server-only variables: \`DATABASE_URL\` (default \`sqlite://rampart.db\`; \`postgres://…\`, \`mysql://…\`), \`REDIS_URL\`
(sessions in Redis), \`PORT\` (5000), \`HOST\` (127.0.0.1), \`RAMPART_DEVELOPMENT\` / \`NODE_ENV=development\`.
Unknown \`SECURITY_*\` variables are reported as errors so typos surface.

Hashing parameters in Flask-Security's passlib names: \`SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS\` (JSON,
\`{"argon2__rounds": 3}\`) or the older \`SECURITY_PASSWORD_HASH_OPTIONS\` (\`{"argon2": {"rounds": 3}}\`) set
${Object.entries(PASSLIB_OPTION_PATHS)
  .map(([option, path]) => `\`${option}\` → \`${path}\``)
  .join(", ")}; any
other option is refused by name.
`;
}
