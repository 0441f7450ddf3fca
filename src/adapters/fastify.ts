import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { Rampart } from "../create-rampart.js";
import type { MethodRules, Requirement } from "../core/authz.js";
import type { RegisteredUserFields } from "../core/public-user.js";
import { addAnswerHeaders, settleUnreadBody, toGuardRequest, toWebRequest, type RampartAuth } from "./node.js";
import { guardFactories } from "./guard-factories.js";

/**
 * `rampart/fastify` (Fastify 5): `rampartPlugin` serves Rampart's routes from an onRequest hook — before
 * Fastify parses any body, so Rampart reads the raw stream itself — and the guard factories are preHandler
 * hooks that set `request.rampart` or send Rampart's refusal. No auth logic lives here.
 */
export type { RampartAuth } from "./node.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The caller, set by Rampart's guard hooks (null before/without one). */
    rampart: RampartAuth<RegisteredUserFields> | null;
  }
}

export interface RampartPluginOptions {
  rampart: Rampart;
}

const plugin: FastifyPluginAsync<RampartPluginOptions> = async (fastify, { rampart }) => {
  if (!fastify.hasRequestDecorator("rampart")) fastify.decorateRequest("rampart", null);
  fastify.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = new URL(request.raw.url ?? "/", "http://x").pathname;
    if (!rampart.handles(request.method.toUpperCase(), pathname)) return;
    const response = await rampart.fetch(toWebRequest(request.raw));
    settleUnreadBody(request.raw, reply.raw);
    return reply.send(response);
  });
};
// Like fastify-plugin: not encapsulated, so the hook and decorator apply to the whole app.
Object.assign(plugin, { [Symbol.for("skip-override")]: true, [Symbol.for("fastify.display-name")]: "rampart" });

/** Register with `app.register(rampartPlugin, { rampart })`. */
export const rampartPlugin = plugin;

/** preHandler hook enforcing `requirement`; a body Fastify parsed is re-encoded so the guard sees its fields. */
export function requireRampart(rampart: Rampart, requirement: Requirement): preHandlerAsyncHookHandler {
  return async function (request, reply) {
    const parsed = request.body;
    const streamed = typeof (parsed as { pipe?: unknown } | undefined)?.pipe === "function";
    const outcome = await rampart.guards.check(
      toGuardRequest(request.raw, streamed ? undefined : parsed, !streamed),
      requirement,
    );
    if (!outcome.ok) return sendRefusal(reply, outcome.response);
    const { ok: _ok, setCookies, headers, ...auth } = outcome;
    if (setCookies.length) reply.header("set-cookie", setCookies);
    addAnswerHeaders(
      headers,
      (name) => (reply.hasHeader(name) ? String(reply.getHeader(name)) : null),
      (name, value) => void reply.header(name, value),
    );
    request.rampart = auth as RampartAuth<RegisteredUserFields>; // the app's registered fields (see Register)
  };
}

/**
 * Sends a guard's refusal as status, headers and bytes: Fastify's HEAD route (the GET route it exposes) measures
 * the payload and cannot take a web Response, which turned every refused HEAD into a 500.
 */
async function sendRefusal(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  void reply.code(response.status);
  for (const [name, value] of response.headers) if (name !== "set-cookie") void reply.header(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length) void reply.header("set-cookie", cookies);
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

/** preHandler applying per-method rules: a public method goes on untouched (`request.rampart` null), others are guarded. */
export function methodRules(rampart: Rampart, rules: MethodRules): preHandlerAsyncHookHandler {
  rampart.guards.methodRules(rules);
  return async function (request, reply) {
    const rule = rampart.guards.ruleFor(request.method, rules);
    if (rule === "public") return;
    return requireRampart(rampart, rule).call(this, request, reply);
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
