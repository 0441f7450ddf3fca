import { timingSafeEqual } from "node:crypto";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { authenticate, type Caller } from "../../core/identity.js";
import type { MessageKey } from "../../core/messages.js";
import type { Redirect } from "../../core/outcome.js";
import { failureRedirect, type FlowFailure } from "./failure.js";
import type { Finished } from "./finish.js";

export type FinishedFlow = Extract<Finished, { ok: true }>;

/**
 * The signed-in caller a re-authentication or link flow came back to, only when it is the user who started it
 * (the fs_uniquifier kept in the flow). A flow started by one account and completed in a session of another (a
 * shared browser, a switched account) belongs to nobody here; a password change or sign-out everywhere since the
 * start (a new uniquifier) ends it too.
 */
export async function flowOwner(ctx: RequestContext, finished: FinishedFlow): Promise<Caller | null> {
  const expected = finished.flow.uniquifier;
  if (!expected) return null;
  const caller = await authenticate(ctx, ctx.rt.config.apiEnabledMethods);
  if (!caller || caller.outage) return null;
  const a = Buffer.from(caller.user.fsUniquifier);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) ? caller : null;
}

/** A completed provider flow that is refused here: audited (oauth_failed) and answered as every flow failure. */
export async function refuseFlow(
  ctx: RequestContext,
  finished: FinishedFlow,
  caller: Caller | null,
  reason: string,
  failure: FlowFailure,
): Promise<Redirect> {
  const { flow, provider, identity } = finished;
  await recordAudit(ctx, {
    event: "oauth_failed",
    outcome: "failure",
    user: caller?.user ?? null,
    details: { provider: provider.name, purpose: flow.purpose, reason, subject: identity.subject.slice(0, 255) },
  });
  return failureRedirect(ctx, flow.purpose, provider.label, failure, flow.next);
}

/** An app hook's veto (its first message) as the failure the browser is shown. */
export function vetoFailure(errors: FieldErrors): FlowFailure {
  const ref = Object.values(errors).flat()[0] ?? { code: "API_ERROR" };
  const params = Object.fromEntries(Object.entries(ref.params ?? {}).map(([k, v]) => [k, String(v)]));
  return { code: ref.code as MessageKey, params, ...(ref.text ? { text: ref.text } : {}) };
}
