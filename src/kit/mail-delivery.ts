import type { UserRecord } from "../datastore/contracts.js";
import { recordAudit } from "../core/audit.js";
import type { RequestContext } from "../core/context.js";

/**
 * Sends a flow's mail. The flow's own state is already committed when this runs, so a delivery failure never
 * leaves it half-done: it is logged and audited (`mail_failed`, template and recipient, never the body) and the
 * caller's answer stays what it would have been — the user can ask again (resend, forgot password…).
 */
export async function deliverMail(
  ctx: RequestContext,
  template: string,
  to: string,
  context: Record<string, unknown>,
  user: UserRecord | null = null,
): Promise<boolean> {
  try {
    await ctx.rt.mailer.send(template, to, context);
    return true;
  } catch (error) {
    ctx.rt.logger.error(`mail "${template}" to ${to} failed: ${(error as Error).message}`);
    await recordAudit(ctx, {
      event: "mail_failed",
      outcome: "failure",
      user,
      identity: to,
      details: { template },
    }).catch(() => undefined);
    return false;
  }
}
