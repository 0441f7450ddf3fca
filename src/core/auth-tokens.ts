import type { UserRecord } from "../datastore/contracts.js";
import type { Runtime } from "./runtime.js";

/**
 * Auth tokens: signed (purpose "auth-token"), carrying the token uniquifier (`uid`), the primary
 * authentication time (`fs_paa`, epoch seconds) and an optional absolute expiry (`exp`, 0 = none).
 * They are stateless: rotating fs_token_uniquifier (or fs_uniquifier when the user has none) kills them.
 */
const PURPOSE = "auth-token";
const VERSION = "r1";

export async function issueAuthToken(rt: Runtime, user: UserRecord, authenticatedAtSeconds: number): Promise<string> {
  let uid = user.fsTokenUniquifier;
  if (!uid) {
    uid = await rt.datastore.users.rotateTokenUniquifier(user.id);
    user.fsTokenUniquifier = uid;
  }
  const nowSeconds = Math.floor(rt.now().getTime() / 1000);
  return rt.signer.sign(PURPOSE, { ver: VERSION, uid, fs_paa: authenticatedAtSeconds, exp: 0 }, nowSeconds);
}

export interface TokenIdentity {
  user: UserRecord;
  authenticatedAtSeconds: number;
}

export async function verifyAuthToken(rt: Runtime, token: string): Promise<TokenIdentity | null> {
  const nowSeconds = Math.floor(rt.now().getTime() / 1000);
  const result = rt.signer.verify(PURPOSE, token, { maxAgeSeconds: rt.config.token.maxAgeSeconds, nowSeconds });
  if (!result.ok) return null;
  const { uid, fs_paa, exp, ver } = result.payload;
  if (ver !== VERSION || typeof uid !== "string" || typeof fs_paa !== "number" || typeof exp !== "number") return null;
  if (exp !== 0 && exp <= nowSeconds) return null;
  const user = await rt.datastore.users.findByTokenUniquifier(uid);
  if (!user || !user.active) return null;
  return { user, authenticatedAtSeconds: fs_paa };
}
