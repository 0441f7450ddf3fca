import type { NextFunction, Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from "express";
import type { Rampart } from "../create-rampart.js";
import type { MethodRules, Requirement } from "../core/authz.js";
import type { RegisteredUserFields } from "../core/public-user.js";
import {
  addNodeAnswerHeaders,
  appendSetCookies,
  sendWebResponse,
  toGuardRequest,
  toWebRequest,
  type RampartAuth,
} from "./node.js";
import { guardFactories, type GuardFactories } from "./guard-factories.js";

/**
 * `rampart/express` (Express 5): `rampartRouter` mounts every Rampart route; the guard factories are
 * middleware that set `req.rampart` or send Rampart's refusal. No auth logic lives here.
 */
export type { RampartAuth } from "./node.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The caller, set by Rampart's guard middleware; `user` is the public view (safe to send as is). */
      rampart?: RampartAuth<RegisteredUserFields>;
    }
  }
}

/** True once a body parser (express.json(), express.urlencoded()…) has read the request stream. */
function bodyConsumed(req: ExpressRequest): boolean {
  return req.readableEnded || (req.complete && !req.readable);
}

/** The web Request for a Rampart route: the stream itself, or the body rebuilt from `req.body` once parsed. */
function routeRequest(req: ExpressRequest): Request {
  if (!bodyConsumed(req)) return toWebRequest(req);
  return toGuardRequest(req, req.body, true);
}

/** Serves Rampart's routes (mount at the app root); every other request goes on with `next()`. */
export function rampartRouter(rampart: Rampart): RequestHandler {
  return async (req, res, next) => {
    const pathname = new URL(req.originalUrl || req.url, "http://x").pathname;
    if (!rampart.handles(req.method.toUpperCase(), pathname)) return next();
    try {
      const response = await rampart.fetch(routeRequest(req));
      await sendWebResponse(res, response);
    } catch (error) {
      if (!res.headersSent) next(error);
    }
  };
}

/** Middleware enforcing `requirement`. A body parsed before it is visible to the guard (csrf_token field). */
export function requireRampart(rampart: Rampart, requirement: Requirement): RequestHandler {
  return async (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    try {
      const outcome = await rampart.guards.check(toGuardRequest(req, req.body, bodyConsumed(req)), requirement);
      if (!outcome.ok) return void (await sendWebResponse(res, outcome.response));
      const { ok: _ok, setCookies, headers, ...auth } = outcome;
      appendSetCookies(res, setCookies);
      addNodeAnswerHeaders(res, headers);
      req.rampart = auth as RampartAuth<RegisteredUserFields>; // the app's registered fields (see Register)
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Middleware applying per-method rules: a public method goes on untouched (`req.rampart` unset), others are guarded. */
export function methodRules(rampart: Rampart, rules: MethodRules): RequestHandler {
  rampart.guards.methodRules(rules);
  return (req, res, next) => {
    const rule = rampart.guards.ruleFor(req.method, rules);
    if (rule === "public") return next();
    return requireRampart(rampart, rule)(req, res, next);
  };
}

// Each export is annotated: an inferred type would spell out Express's query types (ParsedQs), which a
// declaration build cannot always name (e.g. with node_modules linked from elsewhere).
type Factories = GuardFactories<RequestHandler>;
const factories: Factories = guardFactories(requireRampart);
export const loginRequired: Factories["loginRequired"] = factories.loginRequired;
export const authRequired: Factories["authRequired"] = factories.authRequired;
export const rolesRequired: Factories["rolesRequired"] = factories.rolesRequired;
export const rolesAccepted: Factories["rolesAccepted"] = factories.rolesAccepted;
export const permissionsRequired: Factories["permissionsRequired"] = factories.permissionsRequired;
export const permissionsAccepted: Factories["permissionsAccepted"] = factories.permissionsAccepted;
export const freshRequired: Factories["freshRequired"] = factories.freshRequired;
