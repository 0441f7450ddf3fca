import { envNameFor } from "./env.js";
import { configMeanings } from "./reference.js";
import { resolveConfig } from "./index.js";
import type { ConfigSlice } from "./slice.js";

/** Leaf paths of the default configuration (core + the given slices) with their default values. */
export function configLeaves(slices: readonly ConfigSlice[]): [string, unknown][] {
  const defaults = resolveConfig({ secretKey: "x".repeat(40) }, [], slices) as unknown as Record<string, unknown>;
  const out: [string, unknown][] = [];
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length && path !== "messages") walk(v as Record<string, unknown>, path);
      else out.push([path, v]);
    }
  };
  walk(defaults, "");
  for (const optional of ["baseUrl", ...slices.flatMap((s) => Object.keys(s.meanings).map((k) => `${s.key}.${k}`))]) {
    if (!out.some(([p]) => p === optional)) out.push([optional, undefined]);
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

/** Every meaning: core's table plus each slice's, keyed by full path. */
export function allMeanings(slices: readonly ConfigSlice[]): Record<string, string> {
  const out: Record<string, string> = { ...configMeanings };
  for (const s of slices) for (const [k, v] of Object.entries(s.meanings)) out[`${s.key}.${k}`] = v;
  return out;
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
server reads the environment names (Flask-Security's where one exists). Durations are seconds. Lists in the
environment are JSON (\`["session","token"]\`) or comma-separated. Every problem is reported at startup at once,
each naming its key; the resolved config is frozen.

| Key | Environment | Default | Meaning |
|---|---|---|---|
${rows.join("\n")}

Server-only variables: \`DATABASE_URL\` (default \`sqlite://rampart.db\`; \`postgres://…\`, \`mysql://…\`), \`REDIS_URL\`
(sessions in Redis), \`PORT\` (5000), \`HOST\` (127.0.0.1), \`RAMPART_DEVELOPMENT\` / \`NODE_ENV=development\`.
Unknown \`SECURITY_*\` variables are reported as errors so typos surface.
`;
}
