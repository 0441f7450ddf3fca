import type { RequestContext } from "../context.js";
import { issueCsrfToken } from "../csrf.js";
import type { CheckOutcome } from "../sign-in.js";
import { jsonResponse, redirectResponse } from "./respond.js";

/**
 * The answer to a sign-in the pipeline interrupted (e.g. "second factor required"): JSON callers get the
 * check's payload with a CSRF token, browsers go where the check says (the second-factor page), else to login.
 * Nobody is signed in either way. Every endpoint that signs people in answers an interrupt through this.
 */
export async function interruptResponse(ctx: RequestContext, result: Extract<CheckOutcome, { kind: "interrupt" }>): Promise<Response> {
  if (ctx.wantsJson) return jsonResponse(ctx, result.status ?? 200, { ...result.response, csrf_token: await issueCsrfToken(ctx) });
  const location = typeof result.response.redirect === "string" ? result.response.redirect : ctx.rt.url(ctx.rt.config.urls.login);
  return redirectResponse(ctx, location);
}
