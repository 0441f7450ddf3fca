import type { RequestContext } from "../../core/context.js";
import type { Outcome } from "../../core/outcome.js";
import type { Finished } from "./finish.js";

/**
 * A link flow came back (started from the linked-accounts page by a signed-in user): links the identity to that
 * user. Part B implements it; the sign-in callback calls it for flows of purpose "link".
 */
export async function completeLink(_ctx: RequestContext, _finished: Extract<Finished, { ok: true }>): Promise<Outcome> {
  throw new Error("completeLink: not built yet");
}
