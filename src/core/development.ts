import type { ConfigIssue } from "./errors.js";

type Env = Record<string, string | undefined>;

/**
 * Development mode from the environment, one rule for the server, the CLI and createRampart:
 * RAMPART_DEVELOPMENT decides when set (true/false, 1/0, yes/no, on/off); when it is unset or empty,
 * NODE_ENV=development turns it on. Any other RAMPART_DEVELOPMENT value is a configuration issue.
 */
export function developmentFromEnv(env: Env): { development: boolean; issue?: ConfigIssue } {
  const flag = env.RAMPART_DEVELOPMENT?.trim();
  if (!flag) return { development: env.NODE_ENV === "development" };
  if (/^(1|true|yes|on)$/i.test(flag)) return { development: true };
  if (/^(0|false|no|off)$/i.test(flag)) return { development: false };
  return {
    development: false,
    issue: { key: "RAMPART_DEVELOPMENT", message: `expected true/false, got "${env.RAMPART_DEVELOPMENT}"` },
  };
}
