/**
 * How someone proved who they are, as names the core can check. `AuthnMethod`: the first factor of a sign-in or
 * re-authentication ("password", "basic", "email", "sms", "authenticator", "remember", "change"…).
 * `SecondFactorMethod`: the second factor that completed a sign-in ("authenticator", "email", "sms",
 * "recovery_code"…). The core declares the methods it implements itself; each feature adds its own from its
 * folder (registry.ts, declaration merging), so a misspelt method is a type error. The names are the values
 * stored with sessions and in the audit log (unchanged).
 */
export interface AuthnMethods {
  /** HTTP Basic, checked on every request (no session). */
  basic: true;
  /** A session restored from a remember-me cookie (never fresh). */
  remember: true;
}

export type AuthnMethod = keyof AuthnMethods & string;

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SecondFactorMethods {}

export type SecondFactorMethod = keyof SecondFactorMethods & string;
