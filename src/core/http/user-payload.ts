import type { RequestContext } from "../context.js";
import { issueCsrfToken } from "../csrf.js";
import type { UserRecord } from "../../datastore/contracts.js";

/** The success payload of an authenticating endpoint: user (+ token), csrf_token, and extras. */
export async function userPayload(
  ctx: RequestContext,
  user: UserRecord,
  authToken: string | null,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const serialized = { ...(await ctx.rt.serializeUser(user)) };
  if (authToken) serialized.authentication_token = authToken;
  return { user: serialized, csrf_token: await issueCsrfToken(ctx), ...extra };
}
