import type { AuthnMethod } from "./methods.js";
import { issueAuthToken } from "./auth-tokens.js";
import type { RequestContext } from "./context.js";
import type { Caller } from "./identity.js";
import { rememberIdOf } from "./remember.js";
import { secondFactorProof, startSession } from "./session-cookies.js";

/**
 * After a caller proved themselves again (/verify, /us-verify): a session caller gets a new session identifier
 * carrying the new authentication time (a privilege change, SECURITY.md 24); a token is issued when asked.
 * Returns that token or null. Shared so no re-authentication path forgets the rotation.
 */
export async function reauthenticate(
  ctx: RequestContext,
  caller: Caller,
  authnVia: AuthnMethod[],
): Promise<string | null> {
  const now = ctx.now();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (caller.mechanism === "session" && caller.session) {
    // The multi-factor proof of the original sign-in stays with the session (not the fresh time: see I72).
    const session = await startSession(ctx, caller.user, {
      remember: caller.session.remember,
      continues: { rememberId: rememberIdOf(caller.session) },
      authnVia,
      authenticatedAt: now,
      mfaProof: secondFactorProof(caller.session),
    });
    ctx.sessionOverride = { caller: { ...caller, session, authenticatedAtSeconds: nowSeconds } };
  }
  const token = ctx.includeAuthToken() ? await issueAuthToken(ctx.rt, caller.user, nowSeconds) : null;
  await ctx.rt.events.emit("reauthenticated", { user: caller.user, authnVia });
  return token;
}
