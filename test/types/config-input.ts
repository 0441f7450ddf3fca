/**
 * Type-level checks of the app-facing config: every feature's slice is typed, so a misspelt key or a wrong
 * value type does not compile. Never run: test/types/types.test.ts typechecks this file with tsc, and every
 * `@ts-expect-error` line must really be an error.
 */
import { createRampart, type RampartConfigInput } from "../../src/index.js";

export async function featureSlicesAreTyped(): Promise<void> {
  const ok: RampartConfigInput = {
    secretKey: "x".repeat(32),
    twoFactor: { enabled: true, enabledMethods: ["authenticator"] },
    registration: { enabled: true },
    mail: { server: "smtp.example.com", port: 587 },
    sms: { service: "twilio", serviceConfig: { accountSid: "AC1" } },
    totp: { issuer: "Example", secrets: { "1": "k".repeat(32) } },
    unifiedSignin: { enabled: false },
    usernameFeatures: { recovery: false },
  };
  void ok;

  // @ts-expect-error a misspelt key in a feature's slice
  await createRampart({ config: { twoFactor: { enabled: true, enabeld: true } } });
  // @ts-expect-error a misspelt key in a slice of a feature that is off by default
  await createRampart({ config: { registration: { enabeld: true } } });
  // @ts-expect-error a wrong value type in a feature's slice
  await createRampart({ config: { twoFactor: { enabled: "yes" } } });
  // @ts-expect-error a method the feature does not have
  await createRampart({ config: { twoFactor: { enabledMethods: ["carrier-pigeon"] } } });
  // @ts-expect-error a slice nobody registered
  await createRampart({ config: { twoFactorr: { enabled: true } } });
  // @ts-expect-error a misspelt key nested in a core slice
  await createRampart({ config: { password: { argon2: { memoryKost: 1 } } } });
  // @ts-expect-error a misspelt key in the mail slice
  await createRampart({ config: { mail: { sever: "smtp.example.com" } } });
}
