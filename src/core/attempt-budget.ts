import type { RequestContext } from "./context.js";

/**
 * Draws one attempt from a budget: true while the count stays within `max`. Call it BEFORE evaluating a guess, so
 * a guess past the limit is never judged; the budget lives in the database (shared by instances, survives
 * restarts). The one credential check (verify-credential.ts) and the code factors draw from it.
 */
export async function drawFromBudget(
  ctx: RequestContext,
  key: string,
  max: number,
  windowSeconds: number,
): Promise<boolean> {
  return (await ctx.rt.datastore.attempts.hit(key, windowSeconds, ctx.now())) <= max;
}
