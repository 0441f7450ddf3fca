/**
 * The WebAuthn ceremonies over @simplewebauthn/server: the options a browser is handed and the checks of what
 * it sends back. The relying party (RP ID, origins) comes only from configuration, never from the request; the
 * challenge comes from the state the route opened (and spent) before calling these.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoBase64URL, parseAuthenticatorData } from "@simplewebauthn/server/helpers";
import { randomBytes } from "node:crypto";
import { sliceOf } from "../../core/config/slice.js";
import type { Runtime } from "../../core/runtime.js";
import { webauthnSlice, type WebauthnConfig } from "./config.js";
import type { NewPasskey, PasskeyRecord, PasskeyUsage } from "./store.js";

export function wanConfig(rt: Runtime): Readonly<WebauthnConfig> {
  return sliceOf(rt.config, webauthnSlice);
}

/** The relying party as configured (validated at start: RP ID and origins, or RAMPART_BASE_URL). */
export function relyingParty(rt: Runtime): { id: string; name: string; origins: string[] } {
  const cfg = wanConfig(rt);
  const base = rt.config.baseUrl ? new URL(rt.config.baseUrl) : null;
  const id = cfg.rpId ?? base?.hostname;
  const origins = cfg.origins?.map((o) => new URL(o).origin) ?? (base ? [base.origin] : []);
  if (!id || origins.length === 0) throw new Error("webauthn: no relying party configured");
  return { id, name: cfg.rpName, origins };
}

/** A new random challenge (base64url), WAN_CHALLENGE_BYTES long (32 by default). */
export function newChallenge(rt: Runtime): string {
  return isoBase64URL.fromBuffer(randomBytes(wanConfig(rt).challengeBytes ?? 32));
}

/** User verification asked of a first-factor ceremony; second-factor passkeys are never asked for it (as FS). */
export function userVerificationFor(
  rt: Runtime,
  usage: "first" | "secondary",
): "required" | "preferred" | "discouraged" {
  if (usage === "secondary") return "discouraged";
  return wanConfig(rt).userVerification ?? "preferred";
}

/** The user handle of a user (FS: the UTF-8 bytes of fs_webauthn_user_handle). */
export function userHandleBytes(handle: string): Uint8Array {
  return new TextEncoder().encode(handle);
}

export const credentialIdOf = (record: Pick<PasskeyRecord, "credentialId">): string =>
  isoBase64URL.fromBuffer(record.credentialId as Uint8Array<ArrayBuffer>);

const transportsOf = (record: PasskeyRecord): AuthenticatorTransportFuture[] =>
  record.transports as AuthenticatorTransportFuture[];

export async function registrationOptions(
  rt: Runtime,
  args: {
    user: { handle: string; name: string; displayName: string };
    usage: PasskeyUsage;
    challenge: string;
    existing: PasskeyRecord[];
  },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const cfg = wanConfig(rt);
  const rp = relyingParty(rt);
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: userHandleBytes(args.user.handle) as Uint8Array<ArrayBuffer>,
    userName: args.user.name,
    userDisplayName: args.user.displayName,
    challenge: isoBase64URL.toBuffer(args.challenge),
    timeout: cfg.registerTimeoutMs,
    attestationType: cfg.attestation,
    excludeCredentials: args.existing.map((c) => ({ id: credentialIdOf(c), transports: transportsOf(c) })),
    authenticatorSelection: {
      // Without user hints only discoverable credentials can sign in (FS does the same).
      residentKey: cfg.allowUserHints ? "preferred" : "required",
      userVerification: userVerificationFor(rt, args.usage),
    },
    extensions: { credProps: true } as never,
  });
  return options;
}

/** What the browser sent, parsed: FS clients send `credential` as a JSON string; an object is taken as well. */
export function parseCredential<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(
  raw: unknown,
): T | null {
  let value: unknown = raw;
  if (typeof raw === "string") {
    if (raw.length > 64 * 1024) return null;
    try {
      value = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (!value || typeof value !== "object") return null;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== "string" || typeof v.rawId !== "string" || v.type !== "public-key") return null;
  if (!v.response || typeof v.response !== "object") return null;
  return value as T;
}

export type CheckedRegistration =
  | {
      ok: true;
      credential: Omit<NewPasskey, "userId" | "name" | "usage" | "createdAt" | "lastUsedAt">;
      /** The authenticator verified its user (PIN, biometric) while creating the credential. */
      userVerified: boolean;
    }
  | { ok: false; cause: string };

/** WebAuthn's longest credential id (the table's column holds up to 1024 bytes, as FS's). */
const MAX_CREDENTIAL_ID_BYTES = 1023;
/** The stored signature counter is a signed 32-bit integer (FS's Integer column). */
const MAX_COUNTER = 2147483647;
/** The transports WebAuthn defines; anything else a client sends is not stored. */
const TRANSPORTS = new Set(["usb", "nfc", "ble", "smart-card", "hybrid", "internal", "cable"]);

function knownTransports(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return [...new Set(raw.filter((t): t is string => typeof t === "string" && TRANSPORTS.has(t)))];
}

/** Checks a registration response against the state's challenge and the configured relying party. */
export async function checkRegistration(
  rt: Runtime,
  args: { response: RegistrationResponseJSON; challenge: string; requireUv: boolean },
): Promise<CheckedRegistration> {
  const rp = relyingParty(rt);
  try {
    const result = await verifyRegistrationResponse({
      response: args.response,
      expectedChallenge: args.challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      expectedType: "webauthn.create",
      requireUserVerification: args.requireUv,
    });
    if (!result.verified) return { ok: false, cause: "not verified" };
    const info = result.registrationInfo;
    const credentialId = isoBase64URL.toBuffer(info.credential.id);
    if (credentialId.length > MAX_CREDENTIAL_ID_BYTES) return { ok: false, cause: "the credential id is too long" };
    if (info.credential.counter > MAX_COUNTER) return { ok: false, cause: "the signature counter is out of range" };
    // Only what FS keeps (credProps.rk), so the column always holds short JSON that parses.
    const rk = (args.response.clientExtensionResults as { credProps?: { rk?: unknown } } | undefined)?.credProps?.rk;
    const extensions = typeof rk === "boolean" ? JSON.stringify({ credProps: { rk } }) : null;
    return {
      ok: true,
      userVerified: info.userVerified,
      credential: {
        credentialId,
        publicKey: info.credential.publicKey,
        signCount: info.credential.counter,
        transports: knownTransports(args.response.response.transports),
        backupState: info.credentialBackedUp,
        deviceType: info.credentialDeviceType === "multiDevice" ? "multi_device" : "single_device",
        extensions,
      },
    };
  } catch (err) {
    return { ok: false, cause: causeOf(err) };
  }
}

export async function authenticationOptions(
  rt: Runtime,
  args: { challenge: string; allow: PasskeyRecord[]; userVerification: "required" | "preferred" | "discouraged" },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const rp = relyingParty(rt);
  return generateAuthenticationOptions({
    rpID: rp.id,
    challenge: isoBase64URL.toBuffer(args.challenge),
    timeout: wanConfig(rt).signinTimeoutMs,
    userVerification: args.userVerification,
    allowCredentials: args.allow.map((c) => ({ id: credentialIdOf(c), transports: transportsOf(c) })),
  });
}

export type CheckedAssertion =
  | { ok: true; newCounter: number; userVerified: boolean; backedUp: boolean }
  /** `counterRegression`: the signature counter went backwards — the credential may have been cloned. */
  | { ok: false; cause: string; counterRegression: boolean };

/** Checks an assertion by `credential` against the state's challenge and the configured relying party. */
export async function checkAssertion(
  rt: Runtime,
  args: { response: AuthenticationResponseJSON; challenge: string; credential: PasskeyRecord; requireUv: boolean },
): Promise<CheckedAssertion> {
  try {
    const result = await verifyAssertion(rt, args, args.credential.signCount);
    if (!result.verified) return { ok: false, cause: "not verified", counterRegression: false };
    const info = result.authenticationInfo;
    if (info.newCounter > MAX_COUNTER)
      return { ok: false, cause: "the signature counter is out of range", counterRegression: false };
    return {
      ok: true,
      newCounter: info.newCounter,
      userVerified: info.userVerified,
      backedUp: info.credentialBackedUp,
    };
  } catch (err) {
    const lower = await lowerCounterJudged(rt, args);
    if (lower === "regression") return { ok: false, cause: causeOf(err), counterRegression: true };
    // A lower counter on an answer that fails anyway: the real reason, not the counter, is the cause.
    return { ok: false, cause: lower ?? causeOf(err), counterRegression: false };
  }
}

function verifyAssertion(
  rt: Runtime,
  args: { response: AuthenticationResponseJSON; challenge: string; credential: PasskeyRecord; requireUv: boolean },
  storedCounter: number,
) {
  const rp = relyingParty(rt);
  return verifyAuthenticationResponse({
    response: args.response,
    expectedChallenge: args.challenge,
    expectedOrigin: rp.origins,
    expectedRPID: rp.id,
    expectedType: "webauthn.get",
    requireUserVerification: args.requireUv,
    credential: {
      id: credentialIdOf(args.credential),
      publicKey: args.credential.publicKey as Uint8Array<ArrayBuffer>,
      counter: storedCounter,
      transports: transportsOf(args.credential),
    },
  });
}

/**
 * An assertion refused with a counter not above the stored one (both not zero): "regression" when everything
 * else verifies — a cloned authenticator's sign; else why it fails anyway. A lower counter under a signature that
 * does not verify is a plain failure: anyone holding the (public) credential id could post one, and it must not
 * raise a clone alert for the owner. Null: the counter was not lower.
 */
async function lowerCounterJudged(
  rt: Runtime,
  args: { response: AuthenticationResponseJSON; challenge: string; credential: PasskeyRecord; requireUv: boolean },
): Promise<"regression" | string | null> {
  const stored = args.credential.signCount;
  try {
    const data = parseAuthenticatorData(isoBase64URL.toBuffer(args.response.response.authenticatorData));
    if (!((data.counter > 0 || stored > 0) && data.counter <= stored)) return null;
  } catch {
    return null;
  }
  try {
    // Judged again as if nothing had been counted yet: only then is the counter the one thing wrong.
    return (await verifyAssertion(rt, args, 0)).verified ? "regression" : "not verified";
  } catch (err) {
    return causeOf(err);
  }
}

/** A library error as a short cause for WEBAUTHN_NO_VERIFY (its text names the check that failed, no secrets). */
function causeOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, " ").slice(0, 200);
}

/** Where a usage may be used: first-factor sign-in, second factor, or re-authentication (WAN_ALLOW_AS_VERIFY). */
export function usableFor(rt: Runtime, record: PasskeyRecord, use: "first" | "secondary" | "verify"): boolean {
  if (use === "verify") return (wanConfig(rt).allowAsVerify as readonly string[]).includes(record.usage);
  return record.usage === use;
}
