import type { Feature } from "../../core/feature.js";
import type { RequestContext } from "../../core/context.js";
import { jsonResponse } from "../../core/http/respond.js";
import type { RouteDef } from "../../core/routes.js";
import { getLogin, postLogin } from "./login.js";
import { getLogoutConfirm, postLogout } from "./logout.js";
import { getVerify, postVerify } from "./verify.js";

/** Login, logout and re-authentication (verify). Always on; verify only while freshness is enabled. */
export const loginFeature: Feature = {
  name: "login",
  routes(rt) {
    const { urls, csrf, freshness } = rt.config;
    const routes: RouteDef[] = [
      { method: "GET", path: urls.login, auth: "any", handler: (ctx, caller) => getLogin(ctx, caller) },
      { method: "POST", path: urls.login, auth: "anonymous-only", handler: (ctx) => postLogin(ctx) },
    ];
    for (const method of urls.logoutMethods) {
      routes.push({ method, path: urls.logout, auth: "any", csrfExempt: method === "POST" ? !csrf.logoutCsrf : true, handler: (ctx, caller) => postLogout(ctx, caller) });
    }
    if (urls.logoutMethods.length && !urls.logoutMethods.includes("GET")) {
      // A confirm page for people who follow a link; GET itself never logs out (the 405 test uses JSON).
      routes.push({ method: "GET", path: urls.logout, auth: "any", handler: (ctx) => (ctx.wantsJson ? Promise.resolve(methodNotAllowed(ctx)) : getLogoutConfirm(ctx)) });
    }
    if (freshness.withinSeconds >= 0) {
      routes.push(
        { method: "GET", path: urls.verify, auth: "authenticated", handler: (ctx, caller) => getVerify(ctx, caller) },
        { method: "POST", path: urls.verify, auth: "authenticated", handler: (ctx, caller) => postVerify(ctx, caller) },
      );
    }
    return routes;
  },
};

function methodNotAllowed(ctx: RequestContext): Response {
  return jsonResponse(ctx, 405, { errors: ["Method not allowed"], error_codes: ["METHOD_NOT_ALLOWED"] }, { allow: "POST" });
}
