import { z } from "zod";
import type { RequestContext } from "./context.js";
import { enforce, type RouteAuth } from "./enforce.js";
import { RefusalError } from "./errors.js";
import type { FieldErrors } from "./http/respond.js";
import { FieldLengthError } from "./input.js";
import type { Caller, Mechanism } from "./identity.js";
import type { JsonPayload, Outcome } from "./outcome.js";
import type { PendingSignIn } from "./pending-sign-in.js";
import { render, renderError, type PageRenderer } from "./render.js";
import type { RouteLimit } from "./route-limits.js";
import type { RouteDef } from "./routes.js";

/**
 * How a feature declares an endpoint: its id, method, path, who may call it, the input it reads (zod), the JSON
 * payload it answers on success (zod) and the page browsers see. The runner enforces the auth requirement and
 * CSRF (enforce.ts), parses the input — a field's own problem becomes that field's message, a value of the wrong
 * type the contract's API_ERROR — hands the handler a caller typed by the auth level, and renders the outcome.
 * The same declarations produce /openapi.json.
 */
export type CallerFor<A extends RouteAuth> = A extends "authenticated" | "fresh" ? Caller : Caller | null;

export type InputShape = z.ZodObject<z.ZodRawShape>;

/** The payload a handler returns: the declared output less `csrf_token`, which the renderer adds (`csrf: true`). */
export type PayloadOf<O extends z.ZodType> = Omit<z.input<O>, "csrf_token"> & JsonPayload;

export interface RouteSpec<A extends RouteAuth, I extends InputShape, O extends z.ZodType<JsonPayload>, V> {
  /** Stable name of the endpoint ("login", "tf-validate.code"); the OpenAPI operationId. */
  id: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below config.urlPrefix, e.g. "/login" or "/sessions/:id". */
  path: string;
  auth: A;
  /** One line for the API document. */
  summary: string;
  /** Mechanisms that authenticate the caller; default config.apiEnabledMethods. */
  mechanisms?: Mechanism[];
  /** This route takes the place of another feature's route with the same method and path (e.g. US_SIGNIN_REPLACES_LOGIN). */
  replaces?: boolean;
  /** Skip CSRF (only for endpoints that change nothing a third party could abuse). */
  csrfExempt?: boolean;
  /** The route only ends the caller's session (logout): it keeps working while the database is down. */
  signsOut?: boolean;
  /** Fields read from the body (unsafe methods) or the query string (GET). */
  input?: I;
  /** The success payload (inside the envelope's `response`, unless the route is `bare`). */
  output?: O;
  /**
   * Success answers are the payload itself, sent as `contentType`, without the `{ meta, response }` envelope (a
   * document such as /openapi.json or a JWK set); the API document then describes exactly that.
   */
  bare?: { contentType: string };
  /** Error statuses this endpoint answers besides the ones every endpoint can (documented in /openapi.json). */
  errors?: number[];
  /** What can refuse it with 429 + Retry-After (route-limits.ts); drawing an undeclared limit throws. */
  limits?: RouteLimit[];
  page?: PageRenderer<z.output<I>, V>;
  handle(
    ctx: RequestContext,
    request: { input: z.output<I>; caller: CallerFor<A>; params: Record<string, string> },
  ): Promise<Outcome<PayloadOf<O>, V>>;
}

/** The route table entry: the runner's handler plus what the API document reads. */
export interface DeclaredRoute extends RouteDef {
  id: string;
  summary: string;
  input?: InputShape;
  output?: z.ZodType<JsonPayload>;
  bare?: { contentType: string };
  errors?: number[];
  page?: PageRenderer;
  /** A route served by handlers chosen by the kind of caller (defineCallerRoutes): who each one serves. */
  servedTo?: ("pending-sign-in" | "authenticated" | "fresh")[];
}

const NO_INPUT = z.object({});

export function defineRoute<
  A extends RouteAuth,
  I extends InputShape = typeof NO_INPUT,
  O extends z.ZodType<JsonPayload> = z.ZodType<JsonPayload>,
  V = never,
>(spec: RouteSpec<A, I, O, V>): DeclaredRoute {
  const schema = (spec.input ?? NO_INPUT) as I;
  const page = spec.page as PageRenderer | undefined;
  return {
    id: spec.id,
    summary: spec.summary,
    method: spec.method,
    path: spec.path,
    auth: spec.auth,
    mechanisms: spec.mechanisms,
    replaces: spec.replaces,
    csrfExempt: spec.csrfExempt,
    signsOut: spec.signsOut,
    input: spec.input,
    output: spec.output,
    bare: spec.bare,
    errors: spec.errors,
    limits: spec.limits,
    page,
    handler: (ctx, caller, params) =>
      runHandler(ctx, spec.input !== undefined, schema, page, async (input) =>
        asDeclared(spec.bare, await spec.handle(ctx, { input, caller: caller as CallerFor<A>, params })),
      ),
  };
}

/** A bare route's success is sent as declared (no envelope, its media type), so the document cannot drift from it. */
function asDeclared<T extends Outcome<any, any>>(bare: { contentType: string } | undefined, outcome: T): T {
  if (!bare || outcome.kind !== "ok") return outcome;
  return { ...outcome, bare: true, headers: { "content-type": bare.contentType, ...outcome.headers } };
}

/** Parses the input, runs the handler and renders its outcome; a thrown error is rendered too. */
async function runHandler<I extends InputShape>(
  ctx: RequestContext,
  declared: boolean,
  schema: I,
  page: PageRenderer | undefined,
  handle: (input: z.output<I>) => Promise<Outcome<any, any>>,
): Promise<Response> {
  let raw: Record<string, unknown> = {};
  try {
    raw = await rawInput(ctx, declared);
    const input = parseInput(schema, raw, (key) => ctx.rt.message(key) !== key);
    const outcome = await handle(input);
    return await render(ctx, outcome, { page, input: textFields(input as Record<string, unknown>) });
  } catch (error) {
    return renderError(ctx, error, { page, input: textFields(raw) });
  }
}

/**
 * One method and path serving two kinds of caller, each with its own handler and honest requirement (e.g.
 * /tf-validate: a pending sign-in completing its second factor, or a signed-in user confirming a new method):
 * - `pending`: the request carries a pending sign-in (loaded by the pipeline) that `accepts` narrows to what
 *   this route serves; it is tried first — a pending sign-in wins over a session, as Flask-Security;
 * - `signedIn`: a signed-in caller (`fresh`: within the freshness window, else the re-authentication answer),
 *   if the route serves one;
 * - `otherwise`: neither.
 * The runner checks the cross-site rule and CSRF first, as for any endpoint that serves callers not signed in.
 */
export interface CallerRoutesSpec<I extends InputShape, O extends z.ZodType<JsonPayload>, V, P> {
  id: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  summary: string;
  input?: I;
  /** The success payload: the union of what the handlers answer. */
  output?: O;
  errors?: number[];
  /** What can refuse it with 429 + Retry-After (route-limits.ts). */
  limits?: RouteLimit[];
  page?: PageRenderer<z.output<I>, V>;
  pending: {
    accepts(pending: PendingSignIn): P | null;
    handle(
      ctx: RequestContext,
      request: { input: z.output<I>; attempt: P; caller: Caller | null; params: Record<string, string> },
    ): Promise<Outcome<PayloadOf<O>, V>>;
  };
  /** Absent: the route serves only pending sign-ins. */
  signedIn?: {
    auth: "authenticated" | "fresh";
    handle(
      ctx: RequestContext,
      request: { input: z.output<I>; caller: Caller; params: Record<string, string> },
    ): Promise<Outcome<PayloadOf<O>, V>>;
  };
  otherwise(ctx: RequestContext): Outcome<PayloadOf<O>, V> | Promise<Outcome<PayloadOf<O>, V>>;
}

export function defineCallerRoutes<
  I extends InputShape = typeof NO_INPUT,
  O extends z.ZodType<JsonPayload> = z.ZodType<JsonPayload>,
  V = never,
  P = PendingSignIn,
>(spec: CallerRoutesSpec<I, O, V, P>): DeclaredRoute {
  const schema = (spec.input ?? NO_INPUT) as I;
  const page = spec.page as PageRenderer | undefined;
  return {
    id: spec.id,
    summary: spec.summary,
    method: spec.method,
    path: spec.path,
    // Before a handler is chosen, the runner checks what applies to every caller (cross-site rule, CSRF).
    auth: "any",
    servedTo: spec.signedIn ? ["pending-sign-in", spec.signedIn.auth] : ["pending-sign-in"],
    input: spec.input,
    output: spec.output,
    errors: spec.signedIn ? [...new Set([...(spec.errors ?? []), 401])] : spec.errors,
    limits: spec.limits,
    page,
    handler: (ctx, caller, params) =>
      runHandler(ctx, spec.input !== undefined, schema, page, async (input) => {
        const pending = await ctx.rt.pipeline.pending(ctx);
        const attempt = pending ? spec.pending.accepts(pending) : null;
        if (attempt !== null) return spec.pending.handle(ctx, { input, attempt, caller, params });
        if (!caller || !spec.signedIn) return spec.otherwise(ctx);
        if (spec.signedIn.auth === "fresh") {
          const fresh = await enforce(ctx, {
            auth: "fresh",
            mechanisms: ctx.rt.config.apiEnabledMethods,
            csrfExempt: true,
          });
          if (!fresh.ok) return fresh.refusal;
        }
        return spec.signedIn.handle(ctx, { input, caller, params });
      }),
  };
}

async function rawInput(ctx: RequestContext, declared: boolean): Promise<Record<string, unknown>> {
  // A route that reads no input never touches the body (logout works whatever a client sends).
  if (!declared) return {};
  if (ctx.request.method === "GET") return Object.fromEntries(ctx.url.searchParams);
  return { ...(await ctx.body()).fields };
}

/**
 * Parses the input. Problems a field names with its own message (an over-long value, a custom rule) become that
 * field's errors; anything else — an object or a list where a string belongs — is FS's "Input not appropriate for
 * requested API" (400), as its IsString validator answers.
 */
export function parseInput<I extends InputShape>(
  schema: I,
  raw: Record<string, unknown>,
  isMessageKey: (key: string) => boolean,
): z.output<I> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const fieldErrors: FieldErrors = Object.create(null);
  for (const issue of parsed.error.issues) {
    const ownMessage = issue.path.length === 1 && isMessageKey(issue.message);
    if (!ownMessage) throw new RefusalError("API_ERROR", 400);
    const field = String(issue.path[0]);
    (fieldErrors[field] ??= []).push({ code: issue.message });
  }
  throw new FieldLengthError(fieldErrors);
}

/** The string fields of the input, for re-filling a form (never a password: pages leave those empty). */
function textFields(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (typeof v === "string" || typeof v === "boolean") out[k] = v;
  return out;
}
