/**
 * An assertion someone posts to a `<url>/<state>` route, judged in the order Flask-Security judges it: the
 * credential parsed, found by its raw id, its user handle matched to its owner, its usage fitting the ceremony —
 * then the signature itself, only inside the one credential check (core verifyCredential), so the account's
 * lockout is drawn before it is looked at and a failure counts toward it. A counter that went backwards (a
 * cloned authenticator) is refused and audited; a success moves the stored counter from the value it was read
 * at, so two uses of one credential racing each other cannot both pass.
 */
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";
import { generateKeyPairSync } from "node:crypto";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import type { MessageKey } from "../../core/messages.js";
import { verifyCredential, type CredentialCheck } from "../../core/verify-credential.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { checkAssertion, parseCredential, usableFor, userHandleBytes } from "./ceremony.js";
import type { CeremonyState } from "./state.js";
import { passkeyStore, type PasskeyRecord } from "./store.js";

/** The credential's owner and record, found before anything secret is judged. */
export interface IdentifiedAssertion {
  response: AuthenticationResponseJSON;
  record: PasskeyRecord;
  owner: UserRecord;
}

export type Identified =
  | { ok: true; found: IdentifiedAssertion }
  /** `retryAfterSeconds`: an unknown credential id whose own lockout count is spent (429). */
  | { ok: false; code: MessageKey; retryAfterSeconds?: number };

/**
 * Parses `credential` and finds its record and owner; checks the user handle and that the credential may be used
 * for `use`. An unknown credential id costs the same credential check as a known one (its own lockout count,
 * the same verification work on a stand-in key) before it is refused.
 */
export async function identifyAssertion(
  ctx: RequestContext,
  raw: unknown,
  state: CeremonyState,
  use: "first" | "secondary" | "verify",
  audit: "login" | "verify",
): Promise<Identified> {
  const { rt } = ctx;
  const response = parseCredential<AuthenticationResponseJSON>(raw);
  if (!response) return { ok: false, code: "API_ERROR" };
  let rawId: Uint8Array;
  try {
    rawId = isoBase64URL.toBuffer(response.rawId);
  } catch {
    return { ok: false, code: "API_ERROR" };
  }
  const store = rt.datastore.store(passkeyStore);
  const record = rawId.length > 0 && rawId.length <= 1023 ? await store.findByCredentialId(rawId) : null;
  const owner = record ? await rt.datastore.users.findById(record.userId) : null;
  if (!record || !owner) {
    const unknown = await verifyCredential(ctx, null, {
      kind: "webauthn",
      audit,
      identity: `webauthn:${response.rawId.slice(0, 200)}`,
      failure: "WEBAUTHN_UNKNOWN_CREDENTIAL_ID",
      details: { via: "webauthn" },
      verify: async () => ({ valid: false }),
      dummy: () => dummyAssertion(ctx, response, state),
    });
    if (!unknown.ok && unknown.reason === "BUDGET_SPENT")
      return { ok: false, code: "LOCKED_OUT", retryAfterSeconds: unknown.retryAfterSeconds ?? 1 };
    return { ok: false, code: record ? "WEBAUTHN_ORPHAN_CREDENTIAL_ID" : "WEBAUTHN_UNKNOWN_CREDENTIAL_ID" };
  }
  // The authenticator names the user it made the credential for (WebAuthn 7.2 step 6): it must be the owner.
  const handle = response.response.userHandle;
  if (handle) {
    const expected = owner.fsWebauthnUserHandle ? userHandleBytes(owner.fsWebauthnUserHandle) : null;
    if (!expected || !sameBytes(decoded(handle), expected)) return { ok: false, code: "WEBAUTHN_MISMATCH_USER_HANDLE" };
  }
  if (!usableFor(rt, record, use)) return { ok: false, code: "WEBAUTHN_CREDENTIAL_WRONG_USAGE" };
  return { ok: true, found: { response, record, owner } };
}

/** What the signature check found out, read by the route after the credential check returned. */
export interface AssertionVerdict {
  cause: string | null;
  /** The credential is not the signing-in user's (a pending sign-in names its user). */
  otherUser: boolean;
  userVerified: boolean;
}

/**
 * The credential check of an identified assertion (for verifyCredential or pipeline.resume): the signature,
 * challenge, origin, RP ID and user verification against the state; then the counter moved. `verdict` is filled
 * in as it runs.
 */
export function assertionCredential(
  ctx: RequestContext,
  found: IdentifiedAssertion,
  state: CeremonyState,
  audit: "login" | "verify",
  verdict: AssertionVerdict,
): Omit<CredentialCheck, "dummy"> & { dummy: () => Promise<void> } {
  const { rt } = ctx;
  const { record, response } = found;
  return {
    kind: "webauthn",
    audit,
    failure: "WEBAUTHN_NO_VERIFY",
    details: { via: "webauthn", name: record.name },
    dummy: () => dummyAssertion(ctx, response, state),
    async verify(user) {
      // Only the owner's own credential proves anything about this user (a pending sign-in names its user).
      if (user.id !== record.userId) {
        verdict.otherUser = true;
        return { valid: false };
      }
      const checked = await checkAssertion(rt, {
        response,
        challenge: state.challenge,
        credential: record,
        requireUv: state.requireUv,
      });
      if (!checked.ok) {
        verdict.cause = checked.cause;
        if (checked.counterRegression) {
          verdict.cause = "signature counter went backwards";
          await recordAudit(ctx, {
            event: "wan_counter_regression",
            outcome: "failure",
            user,
            details: { name: record.name },
          });
        }
        return { valid: false };
      }
      // Moved only from the value it was read at: of two uses racing with one credential, one passes.
      const moved = await rt.datastore
        .store(passkeyStore)
        .recordUse(record.id, record.signCount, checked.newCounter, checked.backedUp, ctx.now());
      if (!moved) {
        verdict.cause = "the passkey was used by another request at the same time";
        return { valid: false };
      }
      verdict.userVerified = checked.userVerified;
      return { valid: true };
    },
  };
}

/** The verification work of a real check, on a stand-in key (it never verifies). */
const DUMMY_KEY = (() => {
  const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
  // COSE EC2 key: kty 2, alg -7 (ES256), crv 1 (P-256), x, y.
  return isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, isoBase64URL.toBuffer(jwk.x!)],
      [-3, isoBase64URL.toBuffer(jwk.y!)],
    ]),
  );
})();

async function dummyAssertion(
  ctx: RequestContext,
  response: AuthenticationResponseJSON,
  state: CeremonyState,
): Promise<void> {
  const stand: PasskeyRecord = {
    id: 0,
    userId: 0,
    credentialId: decoded(response.rawId),
    publicKey: DUMMY_KEY,
    signCount: 0,
    transports: [],
    backupState: false,
    deviceType: "single_device",
    extensions: null,
    createdAt: new Date(0),
    lastUsedAt: new Date(0),
    name: "",
    usage: "first",
  };
  await checkAssertion(ctx.rt, { response, challenge: state.challenge, credential: stand, requireUv: false });
}

function decoded(b64: string): Uint8Array {
  try {
    return isoBase64URL.toBuffer(b64);
  } catch {
    return new Uint8Array();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
