import { createHash } from "node:crypto";
import type { RequestContext } from "../core/context.js";
import { RateLimitedError } from "../core/errors.js";
import { sourceGroup } from "../core/http/client-ip.js";
import type { LimitSpec } from "../core/limits/limits.js";
import { assertRouteLimit } from "../core/route-limits.js";

/**
 * Limits on the mails and texts an endpoint is asked to send (mail bombing, SMS toll fraud). Call it in the
 * request path BEFORE looking the destination up and before any state changes, so an address with an account and
 * one without are counted and answered alike; past a limit the request is answered 429 with Retry-After
 * (RateLimitedError). Every request counts against its source IP (IPv6 by /64). Then:
 * - asked by anyone (reset, confirmation, username recovery, registration, passwordless codes): per destination,
 *   whoever asks — a victim's mailbox receives a bounded number (and the links it received stay usable);
 * - asked for an account whose password was just checked, or by its signed-in user (second-factor codes, the
 *   owner's re-authentication codes): per account, never against the destination's anonymous count, so nobody
 *   without the password can stop the owner getting the code they need to sign in; a destination that is not
 *   the account's own (a new phone, a new address) counts per destination as well.
 */
export type SendChannel = "mail" | "sms";

export type SendRequester =
  | { kind: "anyone" }
  | { kind: "account"; userId: number; /** The account's own address or phone, not a new one. */ own: boolean };

const ANYONE: SendRequester = { kind: "anyone" };

export async function admitSend(
  ctx: RequestContext,
  channel: SendChannel,
  destination: string,
  requester: SendRequester = ANYONE,
): Promise<void> {
  // The route can answer 429 from here on: it must say so (and /openapi.json with it).
  assertRouteLimit(ctx, "send");
  const { rt } = ctx;
  const c = rt.config.rateLimit;
  const ip = ctx.clientIp();
  const window = c.sendDestinationWindowSeconds;
  const draws: [LimitSpec, string][] = [];
  if (ip !== null)
    draws.push([
      { name: "send-source", points: c.sendsPerSource, durationSeconds: c.sendSourceWindowSeconds },
      sourceGroup(ip),
    ]);
  if (requester.kind === "account")
    draws.push([
      { name: `send-${channel}-account`, points: c.sendsPerDestination, durationSeconds: window },
      String(requester.userId),
    ]);
  if (requester.kind === "anyone" || !requester.own)
    draws.push([
      { name: `send-${channel}`, points: c.sendsPerDestination, durationSeconds: window },
      destinationKey(destination),
    ]);
  for (const [spec, key] of draws) {
    const verdict = await rt.limits.consume(spec, key);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
  }
}

/** The counter key of a destination: one spelling (trimmed, lower case), hashed so no address is stored. */
function destinationKey(destination: string): string {
  return createHash("sha256").update(destination.trim().toLowerCase()).digest("base64url").slice(0, 32);
}
