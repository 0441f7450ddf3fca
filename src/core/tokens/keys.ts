import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import type { JWK } from "jose";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import type { RampartConfig } from "../config/index.js";
import { jwtAlgorithms } from "../config/jwt-slice.js";
import { randomToken } from "../../crypto/random.js";

/**
 * The JWT signing keys: a JSON key set `{ "keys": [ { kid, alg, status, created_at, retire_after?, …private JWK } ] }`.
 * Exactly one "active" key signs. A "next" key is published before it signs, so that other services have fetched
 * it by the time a rotation makes it active; a "retiring" key is still published and still verifies until its
 * `retire_after` (the tokens it signed have expired by then). Anything else — an unknown kid, a retiring key past its
 * date — verifies nothing. The set is read once per configuration (a change takes a restart).
 */
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];
export type KeyStatus = "next" | "active" | "retiring";

const CURVE: Record<JwtAlgorithm, { kty: string; crv: string; node: "ed25519" | "ec" }> = {
  EdDSA: { kty: "OKP", crv: "Ed25519", node: "ed25519" },
  ES256: { kty: "EC", crv: "P-256", node: "ec" },
};

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO date");
const storedKey = z.looseObject({
  kid: z.string().min(1),
  alg: z.enum(jwtAlgorithms),
  status: z.enum(["next", "active", "retiring"]),
  created_at: isoDate,
  retire_after: isoDate.optional(),
  kty: z.string(),
  crv: z.string(),
  d: z.string({ error: "a private key (member d) is needed" }).min(1, "a private key (member d) is needed"),
});
export type StoredKey = z.output<typeof storedKey>;
const storedSet = z.object({ keys: z.array(storedKey) });
export type StoredKeySet = z.output<typeof storedSet>;

export interface RingKey {
  kid: string;
  alg: JwtAlgorithm;
  status: KeyStatus;
  /** Epoch ms after which a retiring key neither verifies nor is published; null for next and active keys. */
  retireAfterMs: number | null;
  publicKey: KeyObject;
  /** The public JWK as published (kty, crv, x, y?, kid, alg, use). */
  publicJwk: JWK & { kty: string; kid: string; alg: string; use: "sig" };
}

export interface KeyRing {
  /** The active key, or null (a set that only publishes, while tokens stay opaque). */
  signing: { kid: string; alg: JwtAlgorithm; privateKey: KeyObject } | null;
  keys: readonly RingKey[];
}

/** Validates a key set and imports its keys; the problems name `where` (the config key it came from). */
export function parseKeySet(raw: unknown, where: string): KeyRing {
  const fail = (message: string) => new ConfigError([{ key: where, message }]);
  const parsed = storedSet.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw fail(`not a key set: ${first.path.join(".") || "(root)"} ${first.message}`);
  }
  const kids = new Set<string>();
  const keys: RingKey[] = [];
  let signing: KeyRing["signing"] = null;
  for (const stored of parsed.data.keys) {
    if (kids.has(stored.kid)) throw fail(`kid "${stored.kid}" appears twice`);
    kids.add(stored.kid);
    // A retiring key without a date would verify for ever.
    if (stored.status === "retiring" && !stored.retire_after)
      throw fail(`retiring key "${stored.kid}" needs retire_after`);
    const curve = CURVE[stored.alg];
    if (stored.kty !== curve.kty || stored.crv !== curve.crv)
      throw fail(`key "${stored.kid}": alg ${stored.alg} needs a ${curve.kty} ${curve.crv} key`);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: privateJwk(stored) as never, format: "jwk" });
    } catch (error) {
      throw fail(`key "${stored.kid}" is not a usable private key (${(error as Error).message})`);
    }
    const publicKey = createPublicKey(privateKey);
    const { kty, crv, x, y } = publicKey.export({ format: "jwk" });
    if (stored.status === "active") {
      if (signing) throw fail("more than one key is active (exactly one signs)");
      signing = { kid: stored.kid, alg: stored.alg, privateKey };
    }
    keys.push({
      kid: stored.kid,
      alg: stored.alg,
      status: stored.status,
      retireAfterMs: stored.status === "retiring" ? Date.parse(stored.retire_after!) : null,
      publicKey,
      publicJwk: { kty: kty!, crv, x, ...(y ? { y } : {}), kid: stored.kid, alg: stored.alg, use: "sig" },
    });
  }
  return { signing, keys };
}

/** The JWK members of a stored key (without Rampart's own kid/status/dates). */
function privateJwk(stored: StoredKey): JWK {
  const { kid: _k, alg: _a, status: _s, created_at: _c, retire_after: _r, ...jwk } = stored;
  return jwk as JWK;
}

const rings = new WeakMap<object, KeyRing | null>();

/** Whether this configuration has JWT keys (inline or in a file), whatever the token format. */
export function hasTokenKeys(config: RampartConfig): boolean {
  return config.token.jwt.keys !== null || config.token.jwt.keysFile !== null;
}

/**
 * The configuration's key ring (loaded once), or null when it has no keys. Throws ConfigError naming the key when
 * the set cannot be read or used, or when JWT format has no active key to sign with: the start is refused.
 */
export function keyRingOf(config: RampartConfig): KeyRing | null {
  if (rings.has(config)) return rings.get(config)!;
  const jwt = config.token.jwt;
  let ring: KeyRing | null = null;
  if (jwt.keys) ring = parseKeySet(jwt.keys, "RAMPART_JWT_KEYS (token.jwt.keys)");
  else if (jwt.keysFile) {
    const where = "RAMPART_JWT_KEYS_FILE (token.jwt.keysFile)";
    let text: string;
    try {
      text = readFileSync(jwt.keysFile, "utf8");
    } catch (error) {
      throw new ConfigError([{ key: where, message: `cannot read ${jwt.keysFile} (${(error as Error).message})` }]);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ConfigError([{ key: where, message: `${jwt.keysFile} is not JSON` }]);
    }
    ring = parseKeySet(raw, where);
  }
  if (config.token.format === "jwt" && !ring?.signing)
    throw new ConfigError([
      {
        key: jwt.keys ? "RAMPART_JWT_KEYS (token.jwt.keys)" : "RAMPART_JWT_KEYS_FILE (token.jwt.keysFile)",
        message: "TOKEN_FORMAT=jwt needs an active key to sign with (rampart keys generate / rotate)",
      },
    ]);
  rings.set(config, ring);
  return ring;
}

/** Keys that verify at `nowMs`: next, active, and retiring ones before their date. */
export function liveKeys(ring: KeyRing, nowMs: number): RingKey[] {
  return ring.keys.filter((k) => k.retireAfterMs === null || nowMs < k.retireAfterMs);
}

/** The public key set (JWKS) other services fetch: public members only, never `d`. */
export function publishedKeySet(ring: KeyRing, nowMs: number): { keys: RingKey["publicJwk"][] } {
  return { keys: liveKeys(ring, nowMs).map((k) => ({ ...k.publicJwk })) };
}

/** A new key for the set, with a random kid. */
export function generateStoredKey(alg: JwtAlgorithm, status: KeyStatus, now: Date): StoredKey {
  const { privateKey } =
    CURVE[alg].node === "ed25519"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const jwk = privateKey.export({ format: "jwk" }) as { kty: string; crv: string; d: string };
  return { kid: randomToken(12), alg, status, created_at: now.toISOString(), ...jwk };
}

/** Reads a stored key set (as `rampart keys` edits it); empty when there is none yet. */
export function storedKeySetOf(raw: unknown, where: string): StoredKeySet {
  const parsed = storedSet.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new ConfigError([{ key: where, message: `not a key set: ${first.path.join(".")} ${first.message}` }]);
  }
  return parsed.data;
}

/**
 * The default time, on top of the JWT lifetime and the clock tolerance, a retired key keeps verifying: servers read
 * the key set at start, so every instance must restart on the new set within it (until then an instance keeps
 * signing with the old key, and those tokens must verify everywhere until they expire).
 */
export const ROLLOUT_ALLOWANCE_SECONDS = 3600;

/** Adds a next key: published from the next restart on, it signs only after a later rotation. */
export function withNextKey(set: StoredKeySet, alg: JwtAlgorithm, now: Date): StoredKeySet {
  return { keys: [...set.keys, generateStoredKey(alg, "next", now)] };
}

/**
 * One rotation step: the first next key becomes active, the active key retires at `now + retireAfterSeconds`,
 * retiring keys past their date are dropped, and a new next key is generated when none is left, so that verifiers
 * can fetch it before it signs. A set without a next key cannot rotate (the new signer would not have been
 * published): add one with `withNextKey` first.
 */
export function rotateKeySet(
  set: StoredKeySet,
  options: { alg: JwtAlgorithm; now: Date; retireAfterSeconds: number },
): StoredKeySet {
  const { now } = options;
  if (!set.keys.some((k) => k.status === "next")) throw new Error("a key set without a next key cannot rotate");
  const kept = set.keys.filter(
    (k) => !(k.status === "retiring" && k.retire_after && Date.parse(k.retire_after) <= now.getTime()),
  );
  const retireAfter = new Date(now.getTime() + options.retireAfterSeconds * 1000).toISOString();
  let promoted = false;
  const keys = kept.map((k): StoredKey => {
    if (k.status === "active") return { ...k, status: "retiring", retire_after: retireAfter };
    if (k.status === "next" && !promoted) {
      promoted = true;
      return { ...k, status: "active" };
    }
    return k;
  });
  return keys.some((k) => k.status === "next") ? { keys } : withNextKey({ keys }, options.alg, now);
}
