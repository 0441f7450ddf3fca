import type { RequestContext } from "./context.js";

/**
 * Draws one attempt from a budget: true while the count stays within `max`, in the database (shared by
 * instances, survives restarts). Used for the SMS set-up send budgets; credential checks are bounded by the
 * account lockout (core/lockout) on rt.limits instead.
 */
export async function drawFromBudget(
  ctx: RequestContext,
  key: string,
  max: number,
  windowSeconds: number,
): Promise<boolean> {
  return (await ctx.rt.datastore.attempts.hit(key, windowSeconds, ctx.now())) <= max;
}
