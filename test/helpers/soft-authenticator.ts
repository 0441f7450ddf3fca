/**
 * A software WebAuthn authenticator for tests that speak the JSON API without a browser: it holds ES256 keys,
 * builds clientDataJSON and authenticatorData itself and signs them, so a test can set what a real browser and
 * authenticator would never let it set — another origin or RP ID, the ceremony type, the UP/UV flags, the
 * signature counter (a cloned authenticator), the user handle. "none" attestation, like most passkeys.
 *
 * It follows the W3C WebAuthn Level 3 data layouts; @simplewebauthn/server is only used for CBOR and base64url.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";

export interface SoftCredential {
  id: Uint8Array;
  /** base64url of `id`, as the API names credentials. */
  idB64: string;
  privateKey: KeyObject;
  publicKeyCose: Uint8Array;
  rpId: string;
  userHandle: Uint8Array;
  counter: number;
}

/** What a test may forge in one ceremony (everything else is what an honest authenticator would send). */
export interface Forgery {
  origin?: string;
  rpId?: string;
  type?: string;
  challenge?: string;
  /** User presence / user verification flags (default: true / the authenticator's `uv`). */
  up?: boolean;
  uv?: boolean;
  /** The signature counter to report (default: one more than the last). */
  counter?: number;
  /** Sign in with this credential (default: the first allowed one, or the first for the RP ID). */
  credentialId?: string;
  /** create(): the new credential id's length in bytes (default 32). */
  credentialIdLength?: number;
  /** The user handle to report (default: the credential's; null: none). */
  userHandle?: Uint8Array | null;
  /** Sign something else than what is sent (a broken signature). */
  badSignature?: boolean;
  crossOrigin?: boolean;
}

const b64 = (bytes: Uint8Array) => isoBase64URL.fromBuffer(bytes as Uint8Array<ArrayBuffer>);
const sha256 = (data: Uint8Array | string) => new Uint8Array(createHash("sha256").update(data).digest());

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(
    readonly options: {
      origin: string;
      /** Performs user verification (PIN/biometric) by default. */
      uv?: boolean;
      /** Backup eligible / backed up (a synced passkey). */
      backup?: boolean;
      /** Counter step per use; 0 makes an authenticator that always reports 0 (as many passkeys do). */
      counterStep?: number;
    },
  ) {}

  /** A copy holding the same keys and counters: a cloned authenticator. */
  clone(): SoftAuthenticator {
    const copy = new SoftAuthenticator(this.options);
    for (const c of this.credentials) copy.credentials.push({ ...c });
    return copy;
  }

  /** navigator.credentials.create(): a new credential for the options' RP and user. */
  create(options: PublicKeyCredentialCreationOptionsJSON, forge: Forgery = {}): RegistrationResponseJSON {
    const rpId = forge.rpId ?? options.rp.id ?? new URL(this.options.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, isoBase64URL.toBuffer(jwk.x!)],
        [-3, isoBase64URL.toBuffer(jwk.y!)],
      ]),
    );
    const id = new Uint8Array(randomBytes(forge.credentialIdLength ?? 32));
    const credential: SoftCredential = {
      id,
      idB64: b64(id),
      privateKey,
      publicKeyCose: cose,
      rpId,
      userHandle: isoBase64URL.toBuffer(options.user.id),
      counter: 0,
    };
    const counter = forge.counter ?? 0;
    const attested = concat(new Uint8Array(16), u16(id.length), id, cose);
    const authData = concat(sha256(rpId), new Uint8Array([this.flags(forge, true)]), u32(counter), attested);
    const clientData = this.clientData("webauthn.create", options.challenge, forge);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]) as never,
    );
    this.credentials.push(credential);
    return {
      id: credential.idB64,
      rawId: credential.idB64,
      type: "public-key",
      response: {
        clientDataJSON: b64(clientData),
        attestationObject: b64(attestationObject),
        transports: ["internal", "hybrid"],
      },
      clientExtensionResults: { credProps: { rk: true } } as never,
      authenticatorAttachment: "platform",
    };
  }

  /** navigator.credentials.get(): an assertion by an allowed credential (or a discoverable one of the RP). */
  get(options: PublicKeyCredentialRequestOptionsJSON, forge: Forgery = {}): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(this.options.origin).hostname;
    const allowed = (options.allowCredentials ?? []).map((c) => c.id);
    const credential =
      (forge.credentialId ? this.credentials.find((c) => c.idB64 === forge.credentialId) : undefined) ??
      (allowed.length
        ? this.credentials.find((c) => allowed.includes(c.idB64))
        : this.credentials.find((c) => c.rpId === rpId));
    if (!credential) throw new Error("SoftAuthenticator: no credential for these options");
    const step = this.options.counterStep ?? 1;
    const counter = forge.counter ?? credential.counter + step;
    if (forge.counter === undefined) credential.counter = counter;
    const authData = concat(
      sha256(forge.rpId ?? credential.rpId),
      new Uint8Array([this.flags(forge, false)]),
      u32(counter),
    );
    const clientData = this.clientData("webauthn.get", options.challenge, forge);
    const signed = concat(authData, sha256(clientData));
    const signature = sign(
      "sha256",
      forge.badSignature ? concat(signed, new Uint8Array([1])) : signed,
      credential.privateKey,
    );
    const userHandle = forge.userHandle === undefined ? credential.userHandle : forge.userHandle;
    return {
      id: credential.idB64,
      rawId: credential.idB64,
      type: "public-key",
      response: {
        clientDataJSON: b64(clientData),
        authenticatorData: b64(authData),
        signature: b64(new Uint8Array(signature)),
        ...(userHandle ? { userHandle: b64(userHandle) } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  private flags(forge: Forgery, attested: boolean): number {
    let flags = 0;
    if (forge.up ?? true) flags |= 0x01;
    if (forge.uv ?? this.options.uv ?? true) flags |= 0x04;
    if (this.options.backup) flags |= 0x08 | 0x10;
    if (attested) flags |= 0x40;
    return flags;
  }

  private clientData(type: string, challenge: string, forge: Forgery): Uint8Array {
    return new TextEncoder().encode(
      JSON.stringify({
        type: forge.type ?? type,
        challenge: forge.challenge ?? challenge,
        origin: forge.origin ?? this.options.origin,
        crossOrigin: forge.crossOrigin ?? false,
      }),
    );
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const u16 = (n: number) => new Uint8Array([(n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number) => new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
