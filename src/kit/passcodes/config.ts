import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";
import { createSecretBox } from "../../crypto/totp/secret-box.js";

/**
 * TOTP keys shared by every code-based factor (two-factor and unified sign-in, like FS): the secrets that seal
 * stored TOTP secrets and the issuer authenticator apps show. Resolved at `config.totp`. Each feature that needs
 * them says so through `totpRequirementIssues` (so the message names the feature that asked).
 */
const schema = z.strictObject({
  secrets: key(z.record(z.string(), z.string()).default({}), {
    env: "SECURITY_TOTP_SECRETS",
    noneIsDefault: true,
    doc: "Key id → secret that encrypts stored TOTP secrets (FS TOTP_SECRETS; newest id seals, all open); required by two-factor and unified sign-in.",
  }),
  issuer: key(z.string().nullable().default(null), {
    env: "SECURITY_TOTP_ISSUER",
    doc: "Issuer shown by authenticator apps (FS TOTP_ISSUER); required by two-factor and unified sign-in.",
  }),
});

export type TotpConfig = z.output<typeof schema>;

export const totpSlice = defineSlice({
  key: "totp",
  schema,
  validate(value): ConfigIssue[] {
    if (Object.keys(value.secrets).length === 0) return [];
    try {
      createSecretBox(value.secrets);
      return [];
    } catch (error) {
      return [{ key: "totp.secrets", message: (error as Error).message }];
    }
  },
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    totp: typeof totpSlice;
  }
}

/** Issues when a feature that seals TOTP secrets is on but the keys or issuer are missing. */
export function totpRequirementIssues(config: Record<string, unknown>, feature: string): ConfigIssue[] {
  const totp = config.totp as TotpConfig | undefined;
  const issues: ConfigIssue[] = [];
  if (!totp || Object.keys(totp.secrets).length === 0) {
    issues.push({
      key: "totp.secrets",
      message: `SECURITY_TOTP_SECRETS is required when ${feature} is enabled (JSON object: key id → secret of at least 32 characters)`,
    });
  }
  if (!totp?.issuer)
    issues.push({ key: "totp.issuer", message: `SECURITY_TOTP_ISSUER is required when ${feature} is enabled` });
  return issues;
}
