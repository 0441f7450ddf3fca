import { z } from "zod";
import { hookVeto } from "../../core/complete-sign-in.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import { safeNext } from "../../kit/http/redirects.js";
import { ok, refused } from "../../core/outcome.js";
import { empty } from "../../kit/schemas.js";
import { signOut } from "../../core/session-writer.js";
import { logoutConfirmPage } from "./pages.js";
import type { RequestContext } from "../../core/context.js";
import type { Caller } from "../../core/identity.js";
import { isDatabaseOutage } from "../../core/outage.js";

/**
 * POST /logout: deletes the server-side session and clears session, remember and CSRF cookies.
 * Auth tokens are stateless and stay valid until they expire (as in Flask-Security), except those of a refresh
 * token family: the family the request presents ends, and its access tokens with it.
 */
export const logoutRoute = (path: string, method: "GET" | "POST", csrfExempt: boolean) =>
  defineRoute({
    id: method === "GET" ? "logout.get" : "logout",
    summary: "Sign out: ends the current session and clears its cookies.",
    method,
    path,
    auth: "any",
    csrfExempt,
    // Signing out works while the database is down (the end is queued until it is back).
    signsOut: true,
    output: empty,
    async handle(ctx, { caller }) {
      const { rt } = ctx;
      const veto = await hookVeto(ctx, "logout", caller?.user ?? null);
      // Logout has no page: a veto answers as JSON, whoever asked.
      if (veto) return veto;
      await signOut(ctx, caller);
      // The refresh token family this client holds (presented token or cookie, or its access token's) ends too.
      await endRefreshFamily(ctx, caller);
      if (rt.config.csrf.cookieName)
        ctx.deleteCookie(rt.config.csrf.cookieName, { secure: rt.config.session.cookieSecure, sameSite: "Strict" });
      if (caller) await runAfterHook(ctx, "logout", caller.user);
      const next = safeNext(ctx, ctx.url.searchParams.get("next"));
      return ok({}, { browser: { redirect: next ?? rt.config.urls.postLogoutView } });
    },
  });

async function endRefreshFamily(ctx: RequestContext, caller: Caller | null): Promise<void> {
  try {
    await ctx.rt.services.tokenFamilies?.signOut(ctx, caller);
  } catch (error) {
    // The feature queues a family it cannot revoke during a database outage; anything else the outage breaks
    // must not turn the ended session into a failed logout. Logged.
    if (!isDatabaseOutage(error)) throw error;
    ctx.rt.logger.warn("logout: refresh token family not revoked (database unavailable)");
  }
}

/**
 * GET /logout when GET is not a logout method: a confirm form for people who follow a link (GET itself never
 * signs out); API callers get 405.
 */
export const logoutConfirmRoute = (path: string) =>
  defineRoute({
    id: "logout.confirm",
    summary: "Not a way to sign out (405 for API callers); browsers get a page with a sign-out button.",
    method: "GET",
    path,
    auth: "any",
    output: z.object({}),
    errors: [405],
    page: (ctx, props) => logoutConfirmPage(ctx, props.csrfToken),
    async handle(ctx) {
      if (ctx.wantsJson) return refused("METHOD_NOT_ALLOWED", 405, { headers: { allow: "POST" } });
      return ok({});
    },
  });
