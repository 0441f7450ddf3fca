import type { RequestContext } from "../context.js";
import { interrupted } from "../outcome.js";
import { render } from "../render.js";
import type { CheckOutcome } from "../sign-in.js";

/**
 * The answer to a sign-in the pipeline interrupted, for handlers not yet returning outcomes (they should use
 * completeSignIn): rendered like every other interruption.
 */
export function interruptResponse(ctx: RequestContext, result: Extract<CheckOutcome, { kind: "interrupt" }>): Promise<Response> {
  return render(ctx, interrupted(result.response, { status: result.status, redirect: result.redirect }));
}
