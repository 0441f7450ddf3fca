import { z } from "zod";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { authenticate, type Caller, type Mechanism } from "../../core/identity.js";
import { ok, refused } from "../../core/outcome.js";
import { mintAccessToken, type AccessGrant } from "../../core/tokens/access-token.js";
import { callerAuthentication } from "../../core/tokens/caller-auth.js";

/**
 * GET/POST /token: a caller already authenticated gets a new access token. The new token never outlives what
 * proved the caller: a session's absolute expiry, the presented token's own expiry (and it stays in that token's
 * refresh family, so revoking the family stops it too), or, for HTTP basic, one token lifetime from now. It
 * carries the caller's original authentication time and methods, so it is no fresher than what it came from.
 * A browser session gets a token only by POST with its CSRF token: a GET rides on the cookie a browser adds by
 * itself, and Flask-Security never answers a token to a cookie-authenticated GET.
 */
const tokenAnswer = z.object({
  authentication_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_at: z.string().meta({ description: "When the token stops working (ISO 8601, UTC)." }),
  expires_in: z.number().int().meta({ description: "Seconds from now until the token stops working." }),
});

/** What the new token may grant: no more time, freshness or factors than the caller has. */
function grantFor(ctx: RequestContext, caller: Caller): AccessGrant {
  const { amr } = callerAuthentication(caller);
  const base = { authenticatedAtSeconds: caller.authenticatedAtSeconds, amr };
  if (caller.token) return { ...base, family: caller.token.family, notAfterSeconds: caller.token.expiresAtSeconds };
  if (caller.session)
    return { ...base, family: null, notAfterSeconds: Math.floor(caller.session.expiresAt.getTime() / 1000) };
  return { ...base, family: null, notAfterSeconds: ctx.nowSeconds() + ctx.rt.config.token.maxAgeSeconds };
}

async function answer(ctx: RequestContext, caller: Caller) {
  const minted = await mintAccessToken(ctx.rt, caller.user, grantFor(ctx, caller));
  return ok({
    authentication_token: minted.token,
    token_type: "Bearer" as const,
    expires_at: new Date(minted.expiresAtSeconds * 1000).toISOString(),
    expires_in: Math.max(0, minted.expiresAtSeconds - ctx.nowSeconds()),
  });
}

export const getTokenRoute = (path: string) =>
  defineRoute({
    id: "token",
    summary: "A new access token for a token or HTTP basic caller (a session caller must POST).",
    method: "GET",
    path,
    auth: "authenticated",
    output: tokenAnswer,
    errors: [405],
    async handle(ctx, { caller }) {
      if (caller.mechanism !== "session") return answer(ctx, caller);
      // The same request may also carry a token (or basic credentials): that caller may use GET.
      const others = ctx.rt.config.apiEnabledMethods.filter((m): m is Exclude<Mechanism, "session"> => m !== "session");
      const nonCookie = await authenticate(ctx, others);
      if (nonCookie) return answer(ctx, nonCookie);
      return refused("TOKEN_ENDPOINT_POST_REQUIRED", 405, { headers: { allow: "POST" } });
    },
  });

export const postTokenRoute = (path: string) =>
  defineRoute({
    id: "token.post",
    summary:
      "A new access token for the authenticated caller; it ends no later than the session or token it came from.",
    method: "POST",
    path,
    auth: "authenticated",
    output: tokenAnswer,
    async handle(ctx, { caller }) {
      return answer(ctx, caller);
    },
  });
