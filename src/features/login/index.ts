import "./registry.js";
import type { Feature } from "../../core/feature.js";
import type { RouteDef } from "../../core/routes.js";
import { getLoginRoute, postLoginRoute } from "./login.js";
import { logoutConfirmRoute, logoutRoute } from "./logout.js";
import { getVerifyRoute, postVerifyRoute } from "./verify.js";

/** Login, logout and re-authentication (verify). Always on; verify only while freshness is enabled. */
export const loginFeature: Feature = {
  name: "login",
  routes(rt) {
    const { urls, csrf, freshness } = rt.config;
    const routes: RouteDef[] = [getLoginRoute(urls.login), postLoginRoute(urls.login)];
    for (const method of urls.logoutMethods)
      routes.push(logoutRoute(urls.logout, method, method === "POST" ? !csrf.logoutCsrf : true));
    if (urls.logoutMethods.length && !urls.logoutMethods.includes("GET")) routes.push(logoutConfirmRoute(urls.logout));
    if (freshness.withinSeconds >= 0) routes.push(getVerifyRoute(urls.verify), postVerifyRoute(urls.verify));
    return routes;
  },
};
