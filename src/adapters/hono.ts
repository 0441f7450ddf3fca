import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Rampart } from "../create-rampart.js";
import type { GuardOutcome, MethodRules, Requirement } from "../core/authz.js";
import { attachRemoteAddress, remoteAddress } from "../core/context.js";
import type { UserFields } from "../core/public-user.js";
import { guardFactories } from "./guard-factories.js";
import { addAnswerHeaders } from "./node.js";

/**
 * `rampart/hono`: `rampartRoutes` serves Rampart's routes and passes everything else on; the guard factories
 * are middleware that set `c.get("rampart")` or return Rampart's refusal. No auth logic lives here.
 */
/** What a passed guard tells the app about the caller; `user` is the public view (safe to send as is). */
export type RampartAuth<F extends UserFields = UserFields> = Omit<
  Extract<GuardOutcome<F>, { ok: true }>,
  "ok" | "setCookies" | "headers"
>;
export type RampartVariables<F extends UserFields = UserFields> = { rampart: RampartAuth<F> };
export type RampartEnv<F extends UserFields = UserFields> = { Variables: RampartVariables<F> };

/** The raw Request with the peer address attached (from @hono/node-server when serving there, else none). */
function webRequest(c: Context): Request {
  let request = c.req.raw;
  if (request.bodyUsed) {
    // An earlier middleware read the body: guards still get headers, method and URL.
    request = new Request(request.url, { method: request.method, headers: request.headers });
  }
  if (remoteAddress(request) !== null) return request;
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    address = undefined; // not served by @hono/node-server (in-process app.request(), other runtimes)
  }
  return attachRemoteAddress(request, address);
}

/** Serves Rampart's routes; every other request goes on with `next()`. */
export function rampartRoutes(rampart: Rampart): MiddlewareHandler {
  return async (c, next) => {
    if (!rampart.handles(c.req.method.toUpperCase(), new URL(c.req.url).pathname)) return next();
    return rampart.fetch(webRequest(c));
  };
}

/** Middleware enforcing `requirement`; on success `c.get("rampart")` is the caller. */
export function requireRampart<F extends UserFields>(
  rampart: Rampart<F>,
  requirement: Requirement,
): MiddlewareHandler<RampartEnv<F>> {
  return async (c, next) => {
    const outcome = await rampart.guards.check(webRequest(c), requirement);
    if (!outcome.ok) return outcome.response;
    const { ok: _ok, setCookies, headers, ...auth } = outcome;
    c.set("rampart", auth);
    await next();
    // Copy the response so its headers are mutable (e.g. Response.redirect() answers are not).
    const res = new Response(c.res.body, c.res);
    addAnswerHeaders(
      headers,
      (name) => res.headers.get(name),
      (name, value) => res.headers.set(name, value),
    );
    for (const cookie of setCookies) res.headers.append("set-cookie", cookie);
    c.res = undefined;
    c.res = res;
  };
}

/** On a public method no caller is looked up, so `c.get("rampart")` is undefined there. */
export type RampartOptionalEnv<F extends UserFields = UserFields> = { Variables: { rampart?: RampartAuth<F> } };

/** Middleware applying per-method rules: a public method goes on untouched, others are guarded by their rule. */
export function methodRules<F extends UserFields>(
  rampart: Rampart<F>,
  rules: MethodRules,
): MiddlewareHandler<RampartOptionalEnv<F>> {
  rampart.guards.methodRules(rules);
  return async (c, next) => {
    const rule = rampart.guards.ruleFor(c.req.method, rules);
    if (rule === "public") return next();
    return requireRampart(rampart, rule)(c as Context<RampartEnv<F>>, next);
  };
}

export const {
  loginRequired,
  authRequired,
  rolesRequired,
  rolesAccepted,
  permissionsRequired,
  permissionsAccepted,
  freshRequired,
} = guardFactories(requireRampart);
