import { createHash } from "node:crypto";
import type { RequestContext } from "../core/context.js";
import { RateLimitedError } from "../core/errors.js";
import { sourceGroup } from "../core/http/client-ip.js";
import type { LimitSpec } from "../core/limits/limits.js";

/**
 * Limits on the mails and texts an endpoint is asked to send (mail bombing, SMS toll fraud): per destination
 * (an address or a phone number, whatever endpoint asks) and per source IP. Call it in the request path BEFORE
 * looking the destination up and before any state changes, so an address with an account and one without are
 * counted and answered alike; past a limit the request is answered 429 with Retry-After (RateLimitedError).
 * A request without a known client address is counted per destination only.
 */
export type SendChannel = "mail" | "sms";

export async function admitSend(ctx: RequestContext, channel: SendChannel, destination: string): Promise<void> {
  const { rt } = ctx;
  const c = rt.config.rateLimit;
  const ip = ctx.clientIp();
  if (ip !== null) {
    const spec: LimitSpec = {
      name: "send-source",
      points: c.sendsPerSource,
      durationSeconds: c.sendSourceWindowSeconds,
    };
    const verdict = await rt.limits.consume(spec, sourceGroup(ip));
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
  }
  const spec: LimitSpec = {
    name: `send-${channel}`,
    points: c.sendsPerDestination,
    durationSeconds: c.sendDestinationWindowSeconds,
  };
  const verdict = await rt.limits.consume(spec, destinationKey(destination));
  if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
}

/** The counter key of a destination: one spelling (trimmed, lower case), hashed so no address is stored. */
function destinationKey(destination: string): string {
  return createHash("sha256").update(destination.trim().toLowerCase()).digest("base64url").slice(0, 32);
}
