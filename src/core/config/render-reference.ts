import { envNameForPath } from "./env.js";
import { configMeanings } from "./reference.js";
import { resolveConfig } from "./index.js";

/** Leaf paths of the default configuration with their default values. */
export function configLeaves(): [string, unknown][] {
  const defaults = resolveConfig({ secretKey: "x".repeat(40) }) as unknown as Record<string, unknown>;
  const out: [string, unknown][] = [];
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length && path !== "messages") walk(v as Record<string, unknown>, path);
      else out.push([path, v]);
    }
  };
  walk(defaults, "");
  if (!out.some(([p]) => p === "baseUrl")) out.push(["baseUrl", undefined]);
  return out.sort(([a], [b]) => a.localeCompare(b));
}

const shown = (path: string, value: unknown) => {
  if (path === "secretKey") return "— (required)";
  if (path === "session.cookieName") return "`__Host-rampart_session`";
  if (value === undefined) return "—";
  return "`" + JSON.stringify(value) + "`";
};

export function renderConfigReference(): string {
  const rows = configLeaves().map(([path, value]) => {
    const env = envNameForPath[path];
    return `| \`${path}\` | ${env ? `\`${env}\`` : ""} | ${shown(path, value)} | ${configMeanings[path] ?? ""} |`;
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
