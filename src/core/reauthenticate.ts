import type { AuthnMethod } from "./methods.js";
import { tokensIfAsked, type IssuedTokens } from "./tokens/issue.js";
import type { RequestContext } from "./context.js";
import type { Caller } from "./identity.js";
import { reissueAfterReauthentication } from "./session-writer.js";

/**
 * After a caller proved themselves again (/verify, /us-verify): a session caller gets a new session identifier
 * carrying the new authentication time (a privilege change, SECURITY.md 24); a token is issued when asked.
 * Returns those tokens or null. Shared so no re-authentication path forgets the rotation.
 */
export async function reauthenticate(
  ctx: RequestContext,
  caller: Caller,
  authnVia: AuthnMethod[],
): Promise<IssuedTokens | null> {
  const nowSeconds = ctx.nowSeconds();
  await reissueAfterReauthentication(ctx, caller, authnVia);
  const token = await tokensIfAsked(ctx, caller.user, { authenticatedAtSeconds: nowSeconds, authnVia });
  await ctx.rt.events.emit("reauthenticated", { user: caller.user, authnVia });
  return token;
}
