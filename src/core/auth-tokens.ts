import { z } from "zod";
import { defineCodec } from "./codec.js";
import type { UserRecord } from "../datastore/contracts.js";
import type { Runtime } from "./runtime.js";

/**
 * Auth tokens: signed (purpose "auth-token"), carrying the token uniquifier (`uid`), the primary
 * authentication time (`fs_paa`, epoch seconds) and an optional absolute expiry (`exp`, 0 = none).
 * They are stateless: rotating fs_token_uniquifier (or fs_uniquifier when the user has none) kills them.
 */
const authTokenCodec = defineCodec({
  purpose: "auth-token",
  maxAgeSeconds: (rt) => rt.config.token.maxAgeSeconds,
  wire: z.object({ ver: z.literal("r1"), uid: z.string(), fs_paa: z.number(), exp: z.number() }),
  encode: (t: { tokenUniquifier: string; authenticatedAtSeconds: number; expiresAtSeconds: number | null }) => ({
    ver: "r1" as const,
    uid: t.tokenUniquifier,
    fs_paa: t.authenticatedAtSeconds,
    exp: t.expiresAtSeconds ?? 0,
  }),
  decode: (w) => ({
    tokenUniquifier: w.uid,
    authenticatedAtSeconds: w.fs_paa,
    expiresAtSeconds: w.exp === 0 ? null : w.exp,
  }),
});

export async function issueAuthToken(rt: Runtime, user: UserRecord, authenticatedAtSeconds: number): Promise<string> {
  let uid = user.fsTokenUniquifier;
  if (!uid) {
    uid = await rt.datastore.users.rotateTokenUniquifier(user.id);
    user.fsTokenUniquifier = uid;
  }
  return authTokenCodec.seal(rt, { tokenUniquifier: uid, authenticatedAtSeconds, expiresAtSeconds: null });
}

export interface TokenIdentity {
  user: UserRecord;
  authenticatedAtSeconds: number;
}

export async function verifyAuthToken(rt: Runtime, token: string): Promise<TokenIdentity | null> {
  const nowSeconds = Math.floor(rt.now().getTime() / 1000);
  const opened = authTokenCodec.open(rt, token);
  if (!opened.ok) return null;
  const { tokenUniquifier, authenticatedAtSeconds, expiresAtSeconds } = opened.value;
  if (expiresAtSeconds !== null && expiresAtSeconds <= nowSeconds) return null;
  const user = await rt.datastore.users.findByTokenUniquifier(tokenUniquifier);
  if (!user || !user.active) return null;
  return { user, authenticatedAtSeconds };
}
