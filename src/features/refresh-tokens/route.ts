import { z } from "zod";
import { signedInPayload } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { text } from "../../core/input.js";
import { fieldError, formErrors, ok, refused, type FormErrors } from "../../core/outcome.js";
import { mintAccessToken } from "../../core/tokens/access-token.js";
import { userJson } from "../../kit/schemas.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { exchange, refreshCookieName, settings } from "./service.js";

/**
 * POST /refresh-token (FS REFRESH_TOKEN_URL): a refresh token for a new auth token and a new refresh token of the
 * same family. JSON only. In cookie mode the token comes from the refresh cookie (a body field is ignored) and
 * the new one goes back in it; the cookie is sent by the browser on its own, so the request needs a CSRF token
 * as any anonymous endpoint does (FS unauth_csrf). In JSON mode the token is in the body — nothing a browser
 * adds by itself — so there is no CSRF check (a client without cookies could not hold a CSRF token anyway).
 */
const jsonInput = z.object({ refresh_token: text() });
const cookieInput = z.object({});

export const refreshTokenRoute = (path: string, cookieMode: boolean) =>
  defineRoute({
    id: "refresh-token",
    summary: cookieMode
      ? "Exchange the refresh cookie for a new auth token (and a new refresh cookie)."
      : "Exchange a refresh token for a new auth token and a new refresh token (user.refresh_token).",
    method: "POST",
    path,
    auth: "any",
    csrfExempt: !cookieMode,
    input: (cookieMode ? cookieInput : jsonInput) as typeof jsonInput,
    output: z.object({ user: userJson }),
    errors: [400],
    async handle(ctx, { input }) {
      const { rt } = ctx;
      if ((await ctx.body()).kind !== "json") return refused("API_ERROR", 400, { browser: { json: true } });
      const name = refreshCookieName(rt);
      const token = name !== null ? ctx.cookie(name) : input.refresh_token;
      if (!token) return fieldError("refresh_token", "REFRESH_TOKEN_NOT_PROVIDED");
      const result = await exchange(ctx, token, (user) => admit(ctx, user));
      if (!result.ok) {
        if ("refusal" in result) return result.refusal;
        return formErrors({ refresh_token: [{ code: "REFRESH_TOKEN_INVALID", params: { reason: result.reason } }] });
      }
      const { user, family } = result;
      const access = await mintAccessToken(rt, user, {
        authenticatedAtSeconds: Math.floor(family.authenticatedAt.getTime() / 1000),
        amr: family.amr,
        family: family.id,
        notAfterSeconds: Math.floor(family.expiresAt.getTime() / 1000),
      });
      const tokens = {
        authToken: access.token,
        authTokenExpiresAtSeconds: access.expiresAtSeconds,
        refreshToken: result.refreshToken,
      };
      return ok(await signedInPayload(ctx, user, tokens));
    },
  });

/**
 * The account checks every request of a user gets (active, confirmed, the app's own checks), as for HTTP Basic:
 * a deactivated or otherwise refused account cannot refresh even while its family lives.
 */
async function admit(ctx: RequestContext, user: UserRecord): Promise<FormErrors<never> | null> {
  const outcome = await ctx.rt.pipeline.check(ctx, {
    user,
    authnVia: ["refresh_token"],
    remember: false,
    kind: "request",
  });
  if (outcome.kind === "continue") return null;
  if (outcome.kind === "deny")
    return formErrors(
      { refresh_token: [{ code: outcome.code, ...(outcome.params ? { params: outcome.params } : {}) }] },
      outcome.status ? { status: outcome.status } : {},
    );
  // A check that would need another step (it cannot be taken here): the family cannot be used now.
  return formErrors({ refresh_token: [{ code: "REFRESH_TOKEN_INVALID", params: { reason: "REVOKED" } }] });
}
