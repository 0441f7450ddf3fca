import { sliceOf } from "../../core/config/slice.js";
import { secretBox } from "../../kit/passcodes/index.js";
import type { Runtime } from "../../core/runtime.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { CODE_METHODS, SENDING_METHODS, unifiedSigninSlice, type UnifiedSigninConfig } from "./config.js";

/**
 * A user's unified sign-in methods. `us_totp_secrets` holds a JSON object method → secret sealed with
 * TOTP_SECRETS (each method its own secret, like FS); `us_phone_number` the SMS number. "password" is active
 * when the user has a password. Only methods enabled by configuration count.
 */
export function usConfig(rt: Runtime): UnifiedSigninConfig {
  return sliceOf(rt.config, unifiedSigninSlice) as UnifiedSigninConfig;
}

export function sealedSecrets(user: UserRecord): Record<string, string> {
  if (!user.usTotpSecrets) return {};
  try {
    const parsed: unknown = JSON.parse(user.usTotpSecrets);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (e): e is [string, string] => CODE_METHODS.includes(e[0]) && typeof e[1] === "string",
      ),
    );
  } catch {
    return {};
  }
}

/**
 * What a sign-in code request counts against in the send limits: the account's phone (SMS) or address, so every
 * identity of one account draws on one budget; without an account (or a phone), the typed identity or the address.
 */
export function sendDestination(user: UserRecord | null, method: string, identity: string): string {
  if (!user) return identity;
  return method === "sms" ? (user.usPhoneNumber ?? user.email) : user.email;
}

/** Code methods the user has set up and configuration allows (sms only with a phone). */
export function activeCodeMethods(rt: Runtime, user: UserRecord): string[] {
  const enabled = usConfig(rt).enabledMethods as readonly string[];
  const sealed = sealedSecrets(user);
  return CODE_METHODS.filter((m) => enabled.includes(m) && sealed[m] && (m !== "sms" || user.usPhoneNumber));
}

/** FS active_methods: "password" (when the user has one and it is enabled) plus the active code methods. */
export function activeMethods(rt: Runtime, user: UserRecord): string[] {
  const password = user.password && usConfig(rt).enabledMethods.includes("password") ? ["password"] : [];
  return [...password, ...activeCodeMethods(rt, user)];
}

/** The plain secret of one of the user's methods, or null (not set up, or sealed under an unknown key). */
export function openSecret(rt: Runtime, user: UserRecord, method: string): string | null {
  const sealed = sealedSecrets(user)[method];
  return sealed ? secretBox(rt).open(sealed) : null;
}

/** Enabled methods that send codes (FS code_methods). */
export function sendingMethods(rt: Runtime): string[] {
  return usConfig(rt).enabledMethods.filter((m) => SENDING_METHODS.includes(m));
}

/** Enabled methods a user may set up at /us-setup. */
export function setupMethods(rt: Runtime): string[] {
  return usConfig(rt).enabledMethods.filter((m) => m !== "password");
}
