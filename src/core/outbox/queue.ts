import { createHash, randomBytes } from "node:crypto";
import type { NewOutboxRecord, UserRecord } from "../../datastore/contracts.js";
import { randomToken } from "../../crypto/random.js";
import { recordAudit } from "../audit.js";
import type { RequestContext } from "../context.js";
import { sourceGroup } from "../http/client-ip.js";
import { sliceOf } from "../config/slice.js";
import { outboxSlice } from "./config.js";
import { runningAfterAnswer } from "../deferred.js";
import type { OutboxItem } from "./outbox.js";

const windowSeconds = (ctx: RequestContext): number => sliceOf(ctx.rt.config, outboxSlice).idempotencyWindowSeconds;

/** Per request: the scope its messages' idempotency keys are made in, and how many it has queued. */
const requestKeys = new WeakMap<RequestContext, { scope: Promise<string | null>; count: number }>();

/**
 * The scope of a request's `Idempotency-Key` header: the value, the caller (the signed-in user, else the source
 * address group) and the route. Null when there is no usable header or the window is 0: the request's messages
 * then get keys of their own.
 */
async function headerScope(ctx: RequestContext): Promise<string | null> {
  const header = ctx.request.headers.get("idempotency-key")?.trim();
  if (!header || header.length > 255 || windowSeconds(ctx) <= 0) return null;
  const callers = await Promise.all([...ctx.identityCache.values()].map((p) => p.catch(() => null)));
  const caller = callers.find((c) => c !== null);
  const who = caller ? `user:${caller.user.id}` : `source:${sourceGroup(ctx.clientIp())}`;
  return ["client", header, who, ctx.request.method, ctx.url.pathname].join("\0");
}

/**
 * One key per message per request: its scope (or a random one), what the message is and whom it is about (two
 * users signing in from one address may both mail the help desk), its place in the request.
 */
async function idempotencyKey(
  ctx: RequestContext,
  kind: string,
  template: string,
  recipient: string,
  userId: number | null,
): Promise<{ key: string; scoped: boolean }> {
  let state = requestKeys.get(ctx);
  if (!state) {
    state = { scope: headerScope(ctx), count: 0 };
    requestKeys.set(ctx, state);
  }
  const place = String((state.count += 1));
  const scope = await state.scope;
  const key = createHash("sha256")
    .update(
      [scope ?? `request:${randomToken(16)}`, kind, template, recipient.toLowerCase(), String(userId), place].join(
        "\0",
      ),
    )
    .digest("hex");
  return { key, scoped: scope !== null };
}

/**
 * Adds the row; for a repeat of a request (same Idempotency-Key scope) within the window, the repeat's message
 * takes the place of the first one's while that is not sent yet (one message goes out: the repeat's, which
 * matches what the repeat answered, e.g. its sign-in step's code). Once the first is out, or after the window,
 * the repeat's message is added as a new one. Returns the id of the row to send, or null (nothing to send).
 */
async function addOrReplace(ctx: RequestContext, item: OutboxItem, row: NewOutboxRecord, scoped: boolean) {
  const { outbox } = ctx.rt.datastore;
  if (await outbox.add(row)) return row.id;
  if (!scoped) return null;
  const first = await outbox.findByIdempotencyKey(row.idempotencyKey);
  const windowMs = windowSeconds(ctx) * 1000;
  if (first && ctx.now().getTime() - first.createdAt.getTime() < windowMs) {
    if (await outbox.replacePayload(first.id, ctx.rt.outbox.seal(item, first.id), ctx.now())) return first.id;
  }
  if (first) await outbox.releaseIdempotencyKey(first.id);
  // False only when a simultaneous repeat took the key: its message goes out.
  return (await outbox.add(row)) ? row.id : null;
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
  const fresh = randomBytes(8).toString("hex");
  let id: string;
  try {
    const { key, scoped } = await idempotencyKey(ctx, item.kind, template, recipient, user?.id ?? null);
    const row: NewOutboxRecord = {
      id: fresh,
      idempotencyKey: key,
      kind: item.kind,
      template,
      recipient,
      userId: user?.id ?? null,
      createdAt: ctx.now(),
      payload: rt.outbox.seal(item, fresh),
    };
    const queued = await addOrReplace(ctx, item, row, scoped);
    if (queued === null) return true;
    id = queued;
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
