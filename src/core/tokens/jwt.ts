import { SignJWT, jwtVerify, type JWTPayload } from "jose";
import type { UserRecord } from "../../datastore/contracts.js";
import { randomToken } from "../../crypto/random.js";
import type { Runtime } from "../runtime.js";
import type { AccessGrant, MintedAccessToken, TokenIdentity } from "./access-token.js";
import { keyRingOf, liveKeys } from "./keys.js";

/**
 * JWT access tokens (`token.format` "jwt", RFC 9068 style): signed by the active key of the configured set with
 * header {alg, kid, typ "at+jwt"}, claims iss, aud, sub = fs_uniquifier, iat, exp, auth_time, amr, jti, `fam` when
 * bound to a refresh family and `roles` when configured. Other services verify them with the published keys
 * alone (until exp); Rampart's own guards also look the user and the refresh family up, so revocation is immediate
 * here.
 */
const TYP = "at+jwt";

const issuerOf = (rt: Runtime) => rt.config.token.jwt.issuer ?? rt.config.baseUrl!;
const audienceOf = (rt: Runtime) => {
  const aud = rt.config.token.jwt.audience;
  return aud.length === 1 ? aud[0]! : [...aud];
};

export async function mintJwt(rt: Runtime, user: UserRecord, grant: AccessGrant): Promise<MintedAccessToken> {
  const signing = keyRingOf(rt.config)?.signing;
  // The start is refused without an active key (keys.ts), so this is a wiring error, not a user's.
  if (!signing) throw new Error("JWT access tokens need an active signing key");
  const jwt = rt.config.token.jwt;
  const nowSeconds = Math.floor(rt.now().getTime() / 1000);
  let expiresAtSeconds = nowSeconds + jwt.maxAgeSeconds;
  if (grant.notAfterSeconds != null) expiresAtSeconds = Math.min(expiresAtSeconds, grant.notAfterSeconds);
  const claims: JWTPayload = { auth_time: grant.authenticatedAtSeconds, amr: [...grant.amr] };
  if (grant.family) claims.fam = grant.family;
  if (jwt.includeRoles) claims.roles = (await rt.datastore.roles.rolesOfUser(user.id)).map((r) => r.name);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: TYP })
    .setIssuer(issuerOf(rt))
    .setAudience(audienceOf(rt))
    .setSubject(user.fsUniquifier)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(expiresAtSeconds)
    .setJti(randomToken(16))
    .sign(signing.privateKey);
  return { token, expiresAtSeconds };
}

/**
 * Verifies with the local key set only: the kid must name a live key (next, active, or retiring before its date)
 * and the header's alg must be that key's (so never "none" nor an HMAC keyed with public bytes); typ, iss and aud
 * must match. Expiry is exact; an iat further in the future than the clock tolerance is refused like any signed
 * value from a fast clock. Then the user (by fs_uniquifier) must be active; verifyAccessToken checks the family.
 */
export async function verifyJwt(rt: Runtime, token: string): Promise<TokenIdentity | null> {
  const ring = keyRingOf(rt.config);
  if (!ring) return null;
  const now = rt.now();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const keys = liveKeys(ring, now.getTime());
  const jwt = rt.config.token.jwt;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      (header) => {
        const key = keys.find((k) => k.kid === header.kid && k.alg === header.alg);
        if (!key) throw new Error("unknown key");
        return key.publicKey;
      },
      {
        algorithms: [...new Set(keys.map((k) => k.alg))],
        typ: TYP,
        issuer: issuerOf(rt),
        audience: jwt.audience,
        currentDate: now,
        maxTokenAge: jwt.maxAgeSeconds,
        clockTolerance: rt.config.clock.futureToleranceSeconds,
        requiredClaims: ["sub", "iat", "exp", "auth_time"],
      },
    ));
  } catch {
    return null;
  }
  if (typeof payload.exp !== "number" || payload.exp <= nowSeconds) return null;
  const authTime = payload.auth_time;
  const amr = payload.amr ?? [];
  const family = payload.fam ?? null;
  if (typeof authTime !== "number" || !isStringList(amr) || (family !== null && typeof family !== "string"))
    return null;
  const user = await rt.datastore.users.findByUniquifier(payload.sub!);
  // The refresh family, if any, is checked by verifyAccessToken for both formats.
  if (!user || !user.active) return null;
  return { user, format: "jwt", authenticatedAtSeconds: authTime, expiresAtSeconds: payload.exp, amr, family };
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");
