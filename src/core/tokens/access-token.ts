import { z } from "zod";
import { defineCodec } from "../codec.js";
import type { UserRecord } from "../../datastore/contracts.js";
import type { Runtime } from "../runtime.js";

/**
 * Access tokens in Rampart's own format: signed (purpose "auth-token"), carrying the token uniquifier (`uid`), the
 * primary authentication time (`fs_paa`, epoch seconds), the real expiry (`exp`, epoch seconds), the factors the
 * sign-in proved (`amr`) and, when a refresh token was issued with it, its family (`fam`). They are stateless but
 * for two things: rotating fs_token_uniquifier (or fs_uniquifier when the user has none) kills them, and a token of
 * a revoked refresh family is refused by Rampart's own guards at once.
 * Tokens issued before `exp` was real carry `exp: 0`: their age limit alone ends them.
 */
const accessTokenCodec = defineCodec({
  purpose: "auth-token",
  maxAgeSeconds: (rt) => rt.config.token.maxAgeSeconds,
  wire: z.object({
    ver: z.literal("r1"),
    uid: z.string(),
    fs_paa: z.number(),
    exp: z.number(),
    amr: z.array(z.string()).optional(),
    fam: z.string().optional(),
  }),
  encode: (t: OpaqueClaims) => ({
    ver: "r1" as const,
    uid: t.tokenUniquifier,
    fs_paa: t.authenticatedAtSeconds,
    exp: t.expiresAtSeconds,
    ...(t.amr.length ? { amr: [...t.amr] } : {}),
    ...(t.family ? { fam: t.family } : {}),
  }),
  decode: (w): OpaqueClaims => ({
    tokenUniquifier: w.uid,
    authenticatedAtSeconds: w.fs_paa,
    expiresAtSeconds: w.exp,
    amr: w.amr ?? [],
    family: w.fam ?? null,
  }),
});

interface OpaqueClaims {
  tokenUniquifier: string;
  authenticatedAtSeconds: number;
  /** 0 on tokens minted before expiry was recorded. */
  expiresAtSeconds: number;
  amr: readonly string[];
  family: string | null;
}

/** What an access token grants, decided by whoever mints it. */
export interface AccessGrant {
  /** Primary authentication time (epoch seconds) the token carries for freshness checks. */
  authenticatedAtSeconds: number;
  /** Authentication methods proved, as RFC 8176 names (see amr.ts). */
  amr: readonly string[];
  /** The refresh family the token belongs to (revoking the family stops the token), or null. */
  family: string | null;
  /** An absolute end the token may not outlive (epoch seconds): the session's or family's end, for example. */
  notAfterSeconds?: number | null;
}

export interface MintedAccessToken {
  token: string;
  /** Epoch seconds: the shorter of the configured lifetime and `notAfterSeconds`. */
  expiresAtSeconds: number;
}

/** The JWT code (and jose) loads only where JWTs are minted or presented. */
const jwtModule = () => import("./jwt.js");

/** Mints a token in the configured format (`token.format`). */
export async function mintAccessToken(rt: Runtime, user: UserRecord, grant: AccessGrant): Promise<MintedAccessToken> {
  if (rt.config.token.format === "jwt") return (await jwtModule()).mintJwt(rt, user, grant);
  let uid = user.fsTokenUniquifier;
  if (!uid) {
    uid = await rt.datastore.users.rotateTokenUniquifier(user.id);
    user.fsTokenUniquifier = uid;
  }
  const nowSeconds = Math.floor(rt.now().getTime() / 1000);
  let expiresAtSeconds = nowSeconds + rt.config.token.maxAgeSeconds;
  if (grant.notAfterSeconds != null) expiresAtSeconds = Math.min(expiresAtSeconds, grant.notAfterSeconds);
  const token = accessTokenCodec.seal(rt, {
    tokenUniquifier: uid,
    authenticatedAtSeconds: grant.authenticatedAtSeconds,
    expiresAtSeconds,
    amr: grant.amr,
    family: grant.family,
  });
  return { token, expiresAtSeconds };
}

/** A verified access token: whose it is and what it says. */
export interface TokenIdentity {
  user: UserRecord;
  format: "opaque" | "jwt";
  authenticatedAtSeconds: number;
  /** Epoch seconds; for a token minted before expiry was recorded, its signing time plus the maximum age. */
  expiresAtSeconds: number;
  amr: readonly string[];
  family: string | null;
}

/**
 * Verifies a token of either format, whatever `token.format` says, so that switching the format signs nobody out:
 * a JWT (recognised by its header) is checked against the JWT keys only, anything else as an opaque token.
 * A token minted with a refresh family lives only as long as the family (sign-out and theft detection end it);
 * with the refresh-tokens feature off nothing can tell the family is live, so such a token is refused.
 */
export async function verifyAccessToken(rt: Runtime, token: string): Promise<TokenIdentity | null> {
  const identity = looksLikeJwt(token) ? await (await jwtModule()).verifyJwt(rt, token) : await verifyOpaque(rt, token);
  if (!identity?.family) return identity;
  const families = rt.services.tokenFamilies;
  return families && (await families.isLive(rt, identity.family, identity.user)) ? identity : null;
}

/** Rampart's own format: signature, expiry, and an active user holding the token uniquifier. */
async function verifyOpaque(rt: Runtime, token: string): Promise<TokenIdentity | null> {
  const nowSeconds = Math.floor(rt.now().getTime() / 1000);
  const opened = accessTokenCodec.open(rt, token);
  if (!opened.ok) return null;
  const claims = opened.value;
  const expiresAtSeconds = claims.expiresAtSeconds || opened.issuedAtSeconds + rt.config.token.maxAgeSeconds;
  if (expiresAtSeconds <= nowSeconds) return null;
  const user = await rt.datastore.users.findByTokenUniquifier(claims.tokenUniquifier);
  if (!user || !user.active) return null;
  return {
    user,
    format: "opaque",
    authenticatedAtSeconds: claims.authenticatedAtSeconds,
    expiresAtSeconds,
    amr: claims.amr,
    family: claims.family,
  };
}

/** A JWT's first part is a base64url JSON header naming an `alg`; an opaque token's never does. */
function looksLikeJwt(token: string): boolean {
  const dot = token.indexOf(".");
  if (dot <= 0 || token.split(".").length !== 3) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), "base64url").toString("utf8"));
    return typeof header === "object" && header !== null && "alg" in header;
  } catch {
    return false;
  }
}
