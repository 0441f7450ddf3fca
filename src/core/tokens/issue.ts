import type { UserRecord } from "../../datastore/contracts.js";
import type { RequestContext } from "../context.js";
import { amrOf } from "./amr.js";
import { mintAccessToken } from "./access-token.js";

/** How the caller proved themselves, as a sign-in or re-authentication hands it to the token issuer. */
export interface TokenProof {
  /** Primary authentication time, epoch seconds. */
  authenticatedAtSeconds: number;
  /** What the session records ("password", "tf:authenticator"…). */
  authnVia: readonly string[];
  /** The first factor was itself multi-factor (a passkey with user verification). */
  multiFactor?: boolean;
  /** The amr to carry when it is not simply derived from `authnVia` (a second factor change keeps the caller's). */
  amr?: readonly string[];
}

/** The tokens an authenticating answer carries. */
export interface IssuedTokens {
  authToken: string;
  /** Epoch seconds. */
  authTokenExpiresAtSeconds: number;
  /** In the JSON answer only when refresh tokens are on and not kept in a cookie; null otherwise. */
  refreshToken: string | null;
}

/**
 * The one place an authenticating endpoint gets its tokens (sign-in, re-authentication, password change, second
 * factor change), called when the caller asked for a token (?include_auth_token, or the backwards-compatible
 * switch): an access token, with a new refresh token family when refresh tokens are on (the family's cookie is set
 * by the feature). `tokensIfAsked` is the usual way in.
 */
export async function issueTokens(
  ctx: RequestContext,
  user: UserRecord,
  proof: TokenProof,
): Promise<IssuedTokens | null> {
  const amr = proof.amr ? [...proof.amr] : amrOf(proof.authnVia, proof.multiFactor);
  const families = ctx.rt.services.tokenFamilies;
  const family = families ? await families.begin(ctx, user, { ...proof, amr }) : null;
  const access = await mintAccessToken(ctx.rt, user, {
    authenticatedAtSeconds: proof.authenticatedAtSeconds,
    amr,
    family: family?.familyId ?? null,
    notAfterSeconds: family ? Math.floor(family.expiresAt.getTime() / 1000) : null,
  });
  return {
    authToken: access.token,
    authTokenExpiresAtSeconds: access.expiresAtSeconds,
    refreshToken: family?.refreshToken ?? null,
  };
}

/** `issueTokens` when this request asked for a token, else null. */
export function tokensIfAsked(ctx: RequestContext, user: UserRecord, proof: TokenProof): Promise<IssuedTokens | null> {
  return ctx.includeAuthToken() ? issueTokens(ctx, user, proof) : Promise.resolve(null);
}
