import { z } from "zod";
import { defineRoute, type DeclaredRoute } from "./define-route.js";
import type { Feature } from "./feature.js";
import { ok } from "./outcome.js";
import type { Mechanism } from "./identity.js";
import type { RouteDef } from "./routes.js";
import type { Runtime } from "./runtime.js";

/**
 * The OpenAPI 3.1 document of the mounted API, generated from the route table: every endpoint with its input
 * (JSON or form body, or query), its success payload inside the `{ meta, response }` envelope, the error
 * envelopes it can answer, and the ways a caller authenticates (session cookie, token header or Bearer, HTTP Basic).
 * JSON Schema comes from the routes' zod schemas, so the document cannot drift from what the runner parses.
 */
type JsonSchema = Record<string, unknown>;

export interface OpenApiOptions {
  title?: string;
  version?: string;
}

export function openApiDocument(rt: Runtime, routes: readonly RouteDef[], options: OpenApiOptions = {}): JsonSchema {
  const components = new Components();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = rt.url(route.path).replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(
      rt,
      route as Partial<DeclaredRoute> & RouteDef,
      components,
    );
  }
  return {
    openapi: "3.1.0",
    info: {
      title: options.title ?? `${rt.config.appName} authentication API`,
      version: options.version ?? "1",
      description:
        "Flask-Security-compatible JSON API. Every answer is an envelope `{ meta: { code }, response }`; send `Accept: application/json` " +
        "or a JSON body to get JSON. Unsafe requests need a CSRF token (from any form's GET) in the X-CSRF-Token header or a csrf_token field.",
    },
    paths,
    components: { schemas: components.schemas, securitySchemes: securitySchemes(rt) },
  };
}

function operation(
  rt: Runtime,
  route: Partial<DeclaredRoute> & RouteDef,
  components: Components,
): Record<string, unknown> {
  const op: Record<string, unknown> = {
    operationId: route.id ?? `${route.method.toLowerCase()}${route.path}`,
    summary: route.summary ?? "",
  };
  const params = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  if (route.input) {
    const schema = components.add(route.input, "input");
    if (route.method === "GET") {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      for (const [name, s] of Object.entries(props))
        params.push({ name, in: "query", required: false, schema: s as never });
    } else {
      op.requestBody = {
        required: false,
        content: { "application/json": { schema }, "application/x-www-form-urlencoded": { schema } },
      };
    }
  }
  if (params.length) op.parameters = params;
  const success = route.output ? components.add(route.output, "output") : {};
  const content = route.bare
    ? { [route.bare.contentType]: { schema: success } }
    : { "application/json": { schema: envelope(success) } };
  const responses: Record<string, unknown> = { "200": { description: "Success", content } };
  const statuses = new Set<number>([...(route.errors ?? [])]);
  if (route.input || route.method !== "GET") statuses.add(400);
  if (route.auth === "authenticated" || route.auth === "fresh") statuses.add(401);
  if (route.method !== "GET" && !route.csrfExempt) statuses.add(403);
  const mechanisms = route.mechanisms ?? rt.config.apiEnabledMethods;
  // A declared limit can refuse it; so can HTTP Basic, which checks a password (lockout included) on every request.
  if (route.limits?.length || mechanisms.includes("basic")) statuses.add(429);
  // Every route reads the session store or the database (the caller, at least): either can be unavailable.
  statuses.add(503);
  for (const status of [...statuses].sort()) responses[String(status)] = errorResponse(status, components);
  op.responses = responses;
  const schemes = mechanisms.flatMap((m) => SCHEMES[m].map((name) => ({ [name]: [] })));
  if (route.auth === "authenticated" || route.auth === "fresh") op.security = schemes;
  // Served to a pending sign-in (no credential but its cookie) or to a signed-in caller: either is fine.
  else if (route.servedTo) {
    const signedIn = route.servedTo.filter((a) => a !== "pending-sign-in").join(", ");
    if (signedIn) op.security = [{}, ...schemes];
    op.description = signedIn
      ? `Served to a pending sign-in (its cookie is the credential) first, else to a signed-in caller (${signedIn}).`
      : "Served to a pending sign-in (its cookie is the credential).";
  }
  return op;
}

/** The security schemes each mechanism accepts (either one will do): a token comes in its header or as Bearer. */
const SCHEMES: Record<Mechanism, string[]> = { session: ["session"], token: ["token", "bearer"], basic: ["basic"] };

function envelope(response: JsonSchema): JsonSchema {
  return {
    type: "object",
    required: ["meta", "response"],
    properties: { meta: { type: "object", required: ["code"], properties: { code: { type: "integer" } } }, response },
  };
}

const ERROR_TEXT: Record<number, string> = {
  400: "Invalid input: `field_errors` names each field's problems (form-wide ones under the empty key)",
  401: "Not signed in, or re-authentication required (`reauth_required`)",
  403: "Forbidden, or a cross-site request refused",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Body too large or too many fields",
  429: "Too many attempts or requests (a rate limit, or the account's lockout); retry after the Retry-After header",
  503: "A dependency is unavailable or busy; retry after the Retry-After header",
};

/** The statuses answered with Retry-After: the seconds to wait before trying again. */
const RETRY_AFTER = new Set([429, 503]);

function errorResponse(status: number, components: Components): JsonSchema {
  components.schemas.Error ??= {
    type: "object",
    required: ["errors", "error_codes"],
    properties: {
      errors: { type: "array", items: { type: "string" }, description: "Messages, in the order of error_codes." },
      error_codes: {
        type: "array",
        items: { type: "string" },
        description: "Stable codes (Flask-Security message keys).",
      },
      field_errors: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
      csrf_token: { type: "string" },
    },
  };
  return {
    description: ERROR_TEXT[status] ?? "Error",
    ...(RETRY_AFTER.has(status)
      ? {
          headers: {
            "Retry-After": {
              description: "Seconds to wait before trying again.",
              required: true,
              schema: { type: "integer", minimum: 0 },
            },
          },
        }
      : {}),
    content: { "application/json": { schema: envelope({ $ref: "#/components/schemas/Error" }) } },
  };
}

function securitySchemes(rt: Runtime): JsonSchema {
  return {
    session: {
      type: "apiKey",
      in: "cookie",
      name: rt.config.session.cookieName,
      description: "The session cookie set by a sign-in.",
    },
    token: {
      type: "apiKey",
      in: "header",
      name: rt.config.token.header,
      description: "An access token (ask a sign-in for one with ?include_auth_token).",
    },
    bearer: {
      type: "http",
      scheme: "bearer",
      description: `The same access token as \`Authorization: Bearer <token>\` (Rampart's own format or a JWT).`,
    },
    basic: { type: "http", scheme: "basic" },
  };
}

/** JSON Schemas of zod schemas; shared pieces (those with a meta id) become components referenced by name. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  add(schema: z.ZodType, io: "input" | "output"): JsonSchema {
    const json = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    for (const [name, def] of Object.entries(defs)) this.schemas[name] ??= rewriteRefs(def) as JsonSchema;
    return rewriteRefs(json) as JsonSchema;
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === "$ref" && typeof v === "string" ? v.replace("#/$defs/", "#/components/schemas/") : rewriteRefs(v);
    }
    return out;
  }
  return value;
}

/** GET <prefix>/openapi.json: the document of the routes mounted next to it (read when asked, built once). */
export function openApiFeature(mounted: () => readonly RouteDef[]): Feature {
  let document: JsonSchema | undefined;
  return {
    name: "openapi",
    routes: () => [
      defineRoute({
        id: "openapi",
        summary: "This document.",
        method: "GET",
        path: "/openapi.json",
        auth: "any",
        output: z.looseObject({ openapi: z.string() }),
        bare: { contentType: "application/json" },
        async handle(ctx) {
          document ??= openApiDocument(ctx.rt, mounted());
          return ok(document);
        },
      }),
    ],
  };
}
