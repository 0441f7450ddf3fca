import { createHash, randomBytes } from "node:crypto";
import type { UserRecord } from "../../datastore/contracts.js";
import { randomToken } from "../../crypto/random.js";
import { recordAudit } from "../audit.js";
import type { RequestContext } from "../context.js";
import { runningAfterAnswer } from "../deferred.js";
import type { OutboxItem } from "./outbox.js";

/** Per request: the base of its messages' idempotency keys and how many it has queued. */
const requestKeys = new WeakMap<RequestContext, { base: string; count: number }>();

/**
 * One key per message per request: the request's `Idempotency-Key` header when the client sends one (a retried
 * request then queues nothing twice), else a random one; plus what the message is and its place in the request.
 */
function idempotencyKey(ctx: RequestContext, kind: string, template: string, recipient: string): string {
  let state = requestKeys.get(ctx);
  if (!state) {
    const header = ctx.request.headers.get("idempotency-key")?.trim();
    const base = header && header.length <= 255 ? `client:${header}` : `request:${randomToken(16)}`;
    state = { base, count: 0 };
    requestKeys.set(ctx, state);
  }
  state.count += 1;
  return createHash("sha256")
    .update([state.base, kind, template, recipient.toLowerCase(), String(state.count)].join("\0"))
    .digest("hex");
}

/**
 * Writes a mail or SMS to the outbox (sealed) and audits it as queued; it is sent after the answer, never before
 * it: right after the request, or at once when this already runs after the answer (deferred work), retried by
 * the outbox when the transport fails. The flow's state is committed before this runs, so a failure to queue
 * (the database is down) is logged and reported as false, never thrown.
 */
export async function queueMessage(
  ctx: RequestContext,
  item: OutboxItem,
  user: Pick<UserRecord, "id"> | null,
): Promise<boolean> {
  const { rt } = ctx;
  const template = item.kind === "mail" ? item.template : item.purpose;
  const recipient = item.kind === "mail" ? item.message.to : item.to;
  // Hex: an id typed on the command line never starts with "-" (base64url could).
  const id = randomBytes(8).toString("hex");
  try {
    const added = await rt.datastore.outbox.add({
      id,
      idempotencyKey: idempotencyKey(ctx, item.kind, template, recipient),
      kind: item.kind,
      template,
      recipient,
      userId: user?.id ?? null,
      createdAt: ctx.now(),
      payload: rt.outbox.seal(item, id),
    });
    if (!added) return true;
  } catch (error) {
    rt.logger.error(`${item.kind} "${template}" to ${recipient} could not be queued: ${(error as Error).message}`);
    return false;
  }
  // The row is committed from here on: nothing below may report it as not queued.
  await recordAudit(ctx, {
    event: item.kind === "mail" ? "mail_queued" : "sms_queued",
    outcome: "info",
    user,
    identity: recipient,
    details: { [item.kind === "mail" ? "template" : "purpose"]: template, outbox: id },
  }).catch((error: unknown) => rt.logger.warn(`audit of queued ${id} failed: ${(error as Error)?.message}`));
  // A failure to send now (the database went away) leaves the row to the poll.
  if (runningAfterAnswer()) {
    await rt.outbox.deliver(id).catch((error: unknown) => {
      rt.logger.warn(`${item.kind} ${id} stays queued: ${(error as Error)?.message ?? String(error)}`);
    });
  } else rt.outbox.kick(id);
  return true;
}
