import type { MessageKey } from "../messages.js";
import { refused, type Refused } from "../outcome.js";

/**
 * The answer to a credential that was not judged because the account waits or is locked (or the check's own
 * limit is spent): 429 with Retry-After, the same for every account and for identities that name none. Browsers
 * get the route's page again with the message (or a short refusal page); API callers the contract's error shape.
 */
export function tooManyAttempts(
  result: { retryAfterSeconds?: number },
  code: MessageKey = "LOCKED_OUT",
  browser?: Refused["browser"],
): Refused {
  return refused(code, 429, {
    headers: { "retry-after": String(result.retryAfterSeconds ?? 1) },
    ...(browser ? { browser } : {}),
  });
}
