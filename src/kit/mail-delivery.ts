import type { UserRecord } from "../datastore/contracts.js";
import { recordAudit } from "../core/audit.js";
import type { RequestContext } from "../core/context.js";
import { queueMessage } from "../core/outbox/queue.js";

/**
 * A flow's mail: rendered now, queued in the outbox, sent after the answer (retried while the relay is down;
 * given up only after the configured attempts, audited as `mail_failed`). The flow's own state is already
 * committed when this runs, so the answer never depends on the relay. False when the mail could not be rendered
 * for this recipient or queued (logged and audited, never thrown): the user can ask again.
 */
export async function deliverMail(
  ctx: RequestContext,
  template: string,
  to: string,
  context: Record<string, unknown>,
  user: UserRecord | null = null,
): Promise<boolean> {
  let message;
  try {
    message = ctx.rt.mailer.render(template, to, context);
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
  return queueMessage(ctx, { kind: "mail", template, message }, user);
}
