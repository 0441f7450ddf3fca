import type { RequestContext } from "../../core/context.js";
import type { MessageKey } from "../../core/messages.js";
import type { Refused } from "../../core/outcome.js";

/**
 * A passkey step refused (400): API callers get the message (under `field_errors[field]` too when a field is to
 * blame, as FS's forms answer); browsers go back to the page the step started from with the message as a
 * flash (FS's templates auto-submit the browser's answer, so there is no form to show it on).
 */
export function wanRefused(
  ctx: RequestContext,
  code: MessageKey,
  options: { back: string; field?: string; params?: Record<string, string | number> },
): Refused {
  const text = ctx.rt.message(code, options.params);
  return {
    kind: "refused",
    refs: [{ code, ...(options.params ? { params: options.params } : {}) }],
    status: 400,
    ...(options.field ? { extra: { field_errors: { [options.field]: [text] } } } : {}),
    browser: { redirect: options.back, flash: { category: "error", message: text } },
  };
}
