import { createHmac } from "node:crypto";
import type { RequestContext } from "../core/context.js";
import { RateLimitedError } from "../core/errors.js";
import type { LimitSpec } from "../core/limits/limits.js";
import { assertRouteLimit } from "../core/route-limits.js";
import { sourceGroup } from "../core/http/client-ip.js";
import { scopedSpec, sourceScopes } from "../core/limits/sources.js";
import type { Runtime } from "../core/runtime.js";
import { canonicalIdentity } from "../datastore/canonical.js";
import { phoneE164 } from "./passcodes/index.js";

/**
 * Limits on the mails and texts an endpoint is asked to send (mail bombing, SMS toll fraud). Call it in the
 * request path before the destination's lookup changes the answer and before any state changes, once whatever
 * the lookup finds, so an address with an account and one without are counted and answered alike; past a limit
 * the request is answered 429 with Retry-After (RateLimitedError). Every request counts against its source IP
 * (IPv6 by /64, and by /48 with a larger budget). Then:
 * - asked by anyone (reset, confirmation, username recovery, registration, passwordless codes): per destination
 *   and source (an IPv6 source by its /64), and per destination across all sources with a ceiling of
 *   RATE_LIMIT_SEND_DESTINATION_TOTAL_FACTOR times that budget. One source can use up only its own share, so it
 *   cannot stop the owner's own reset mail, and a victim's mailbox still receives a bounded number (the links it
 *   received stay usable). A request without a known source counts on one key per destination. The destination
 *   is the real mailbox or phone: pass the account's own address or phone when the request named the account
 *   another way (a username); spellings of one address or number share one key (destinationKey);
 * - asked for an account whose password was just checked, or by its signed-in user (second-factor codes, the
 *   owner's re-authentication codes): per account, never against the destination's anonymous count, so nobody
 *   without the password can stop the owner getting the code they need to sign in; a destination that is not
 *   the account's own (a new phone, a new address) counts per destination as well (one key, the budget) and
 *   toward the destination's ceiling, so the ceiling bounds everything such a destination can be sent.
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
  if (ip !== null) {
    const perSource = { name: "send-source", points: c.sendsPerSource, durationSeconds: c.sendSourceWindowSeconds };
    for (const scope of sourceScopes(rt, ip)) draws.push([scopedSpec(perSource, scope), scope.key]);
  }
  if (requester.kind === "account")
    draws.push([
      { name: `send-${channel}-account`, points: c.sendsPerDestination, durationSeconds: window },
      String(requester.userId),
    ]);
  if (requester.kind === "anyone" || !requester.own) {
    const target = destinationKey(rt, channel, destination);
    const budget = c.sendsPerDestination;
    if (requester.kind === "anyone" && ip !== null)
      draws.push([
        { name: `send-${channel}-source`, points: budget, durationSeconds: window },
        `${target}|${sourceGroup(ip)}`,
      ]);
    else draws.push([{ name: `send-${channel}`, points: budget, durationSeconds: window }, target]);
    // Whoever asks, a destination is sent at most this many such mails or texts per window.
    const total = budget * c.sendDestinationTotalFactor;
    draws.push([{ name: `send-${channel}-total`, points: total, durationSeconds: window }, target]);
  }
  const taken: [LimitSpec, string][] = [];
  for (const [spec, key] of draws) {
    const verdict = await rt.limits.consume(spec, key);
    if (!verdict.allowed) {
      // Nothing is sent, so nothing is spent: a refused request gives back what it drew before (an owner who
      // retries while a destination's ceiling is full keeps their own share for when it clears).
      for (const [s, k] of taken) await rt.limits.penalty(s, k, -1);
      throw new RateLimitedError(verdict.retryAfterSeconds);
    }
    taken.push([spec, key]);
  }
}

/**
 * The counter key of a destination: one key per mailbox or phone however it is spelled — an address in the form
 * the datastore looks it up by (compatibility forms folded, lower case), a phone number in E.164 — hashed with the
 * secret key so no address or number is stored.
 */
function destinationKey(rt: Runtime, channel: SendChannel, destination: string): string {
  const value = destination.trim();
  const canonical = (channel === "sms" ? phoneE164(rt, value) : null) ?? canonicalIdentity(value);
  return createHmac("sha256", rt.config.secretKey).update(`send\0${canonical}`).digest("base64url").slice(0, 32);
}
