import type { z } from "zod";
import { recordAudit, type AuditEntry } from "../core/audit.js";
import { defineCodec, type Opened } from "../core/codec.js";
import type { RampartConfig } from "../core/config/index.js";
import { sliceOf, type ConfigSlice } from "../core/config/slice.js";
import { configSchema } from "../core/config/slices.js";
import type { RequestContext } from "../core/context.js";
import {
  defineRoute as declareRoute,
  type DeclaredRoute,
  type InputShape,
  type PayloadOf,
} from "../core/define-route.js";
import type { RouteAuth } from "../core/enforce.js";
import type { EventName, RampartEvents } from "../core/events.js";
import type { EventListeners, Feature } from "../core/feature.js";
import { errorsFor, type FieldErrors } from "../core/http/respond.js";
import type { Caller, Mechanism } from "../core/identity.js";
import type { MessageKey } from "../core/messages.js";
import type { AuthnMethod } from "../core/methods.js";
import type { JsonPayload, Outcome } from "../core/outcome.js";
import { publicUser, type PublicUser, type RegisteredUserFields } from "../core/public-user.js";
import type { PageProps } from "../core/render.js";
import type { CheckOutcome } from "../core/sign-in.js";
import { builtinFeatures, configSlices } from "../features/builtin.js";
import {
  handPending,
  pendingSpec,
  resumeSignIn,
  type PendingSignInView,
  type PendingStep,
  type ResumedSignIn,
  type ResumeSignIn,
} from "./sign-in-step.js";
import { migrationOf, storeDefOf, type FeatureMigration, type FeatureStore } from "./store.js";

/**
 * What an app's own feature is written with (published as "rampart/feature"). Everything here wraps the
 * machinery the built-in features use — the same route runner (auth, freshness, CSRF, input parsing), the same
 * renderer, the same sign-in pipeline, the same config resolution — behind narrow types: a handler sees a
 * `RouteContext` and a `RouteCaller` (the public view of the user), never the runtime, the datastore or the row.
 */

/** What a route handler, a page or a sign-in check may use of the request being answered. */
export interface RouteContext {
  /** The request (Rampart has read its body: use the parsed `input`). */
  readonly request: Request;
  readonly url: URL;
  /** The resolved configuration (a feature's own keys come as the `settings` its factories receive). */
  readonly config: RampartConfig;
  now(): Date;
  /** The client's address (the socket's, or the forwarding header's when the peer is a configured trusted proxy). */
  clientIp(): string | null;
  userAgent(): string | null;
  /** A message's text (the app's override, else the default), with `%(name)s` placeholders filled. */
  message(key: MessageKey, params?: Record<string, string | number>): string;
  /** The texts of one field's errors (for a page to show under the field; "" holds the form-wide ones). */
  errorTexts(errors: FieldErrors | undefined, field: string): string[];
  /** A Rampart path with the configured URL prefix. */
  path(path: string): string;
  /** Emits an event (listeners registered with `rampart.events.on` or a feature's `listeners`). */
  emit<K extends EventName>(name: K, payload: RampartEvents[K]): Promise<void>;
  /** Writes an audit entry with this request's address and agent (awaited: every answer has its entry). */
  audit(entry: AuditEntry): Promise<void>;
  /** The feature's store (made by `defineStore`), over Rampart's database; built once per database. */
  store<S>(store: FeatureStore<S>): S;
  /**
   * Completes the stopped sign-in this request's route was handed (`pendingSignIn`), once: the credential is
   * checked (budget first), the attempt consumed, then the stored attempt signs in and every check runs again.
   * Anywhere else, or a second time in a request, it refuses with NO_PENDING_SIGN_IN.
   */
  resumeSignIn(how: ResumeSignIn): Promise<ResumedSignIn>;
}

/** Who is calling a route: the public view of the user (no hash, uniquifiers or factor secrets). */
export interface RouteCaller {
  user: PublicUser<RegisteredUserFields>;
  mechanism: Mechanism;
  /** When the caller last proved a first factor; null when never in this session (restored by a remember cookie). */
  authenticatedAt: Date | null;
}

export type RouteCallerFor<A extends RouteAuth> = A extends "authenticated" | "fresh"
  ? RouteCaller
  : RouteCaller | null;

export interface RouteSpec<A extends RouteAuth, I extends InputShape, O extends z.ZodType<JsonPayload>, V> {
  /** Stable name of the endpoint (the OpenAPI operationId); prefix it with the feature's name. */
  id: string;
  /** One line for /openapi.json. */
  summary: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Below the configured URL prefix, e.g. "/terms" or "/terms/:version". */
  path: string;
  /** "any", "anonymous-only", "authenticated" or "fresh" (recently re-authenticated). */
  auth: A;
  /** Mechanisms that authenticate the caller; default the configured ones. */
  mechanisms?: Mechanism[];
  /** Fields read from the body (unsafe methods: JSON or a form) or the query string (GET). */
  input?: I;
  /** The success payload inside the `{ meta, response }` envelope (documented in /openapi.json). */
  output?: O;
  /** Error statuses this route answers besides the ones every route can. */
  errors?: number[];
  /** The page browsers see (without one, browsers get JSON unless the handler redirects them). */
  page?(ctx: RouteContext, props: PageProps<z.output<I>, V>): string | Promise<string>;
  /**
   * The name of this feature's sign-in check whose stopped sign-ins this route continues: the handler gets the
   * request's stopped sign-in as `pending` (null when there is none, or another check stopped it) and may
   * complete it with `ctx.resumeSignIn`.
   */
  pendingSignIn?: string;
  handle(
    ctx: RouteContext,
    request: {
      input: z.output<I>;
      caller: RouteCallerFor<A>;
      params: Record<string, string>;
      /** The stopped sign-in this route serves (see `pendingSignIn`); always null without it. */
      pending: PendingSignInView | null;
    },
  ): Promise<Outcome<PayloadOf<O>, V>>;
}

/** A route made by `defineRoute`, for a feature's `routes`. */
export interface Route {
  readonly id: string;
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly path: string;
}

const declared = new WeakMap<Route, { route: DeclaredRoute; pendingSignIn: string | undefined }>();
const facades = new WeakMap<RequestContext, RouteContext>();
const requests = new WeakMap<RouteContext, RequestContext>();

/** The public face of a request context (one per request, so a page and its handler share it). */
function routeContext(ctx: RequestContext): RouteContext {
  let face = facades.get(ctx);
  if (!face) {
    const { rt } = ctx;
    face = Object.freeze({
      request: ctx.request,
      get url() {
        return ctx.url;
      },
      config: rt.config,
      now: () => ctx.now(),
      clientIp: () => ctx.clientIp(),
      userAgent: () => ctx.userAgent(),
      message: (key: MessageKey, params?: Record<string, string | number>) => rt.message(key, params),
      errorTexts: (errors: FieldErrors | undefined, field: string) => errorsFor(ctx, errors, field),
      path: (path: string) => rt.url(path),
      emit: <K extends EventName>(name: K, payload: RampartEvents[K]) => rt.events.emit(name, payload),
      audit: (entry: AuditEntry) => recordAudit(ctx, entry),
      store: <S>(store: FeatureStore<S>) => rt.datastore.store(storeDefOf(store)),
      resumeSignIn: (how: ResumeSignIn) => resumeSignIn(ctx, how),
    });
    facades.set(ctx, face);
    requests.set(face, ctx);
  }
  return face;
}

function routeCaller(ctx: RequestContext, caller: Caller): RouteCaller {
  return {
    user: publicUser(caller.user, ctx.rt.userFields) as PublicUser<RegisteredUserFields>,
    mechanism: caller.mechanism,
    authenticatedAt: caller.authenticatedAtSeconds > 0 ? new Date(caller.authenticatedAtSeconds * 1000) : null,
  };
}

export function defineRoute<
  A extends RouteAuth,
  I extends InputShape = z.ZodObject<{}>,
  O extends z.ZodType<JsonPayload> = z.ZodType<JsonPayload>,
  V = never,
>(spec: RouteSpec<A, I, O, V>): Route {
  const page = spec.page;
  const route = declareRoute<A, I, O, V>({
    id: spec.id,
    summary: spec.summary,
    method: spec.method,
    path: spec.path,
    auth: spec.auth,
    mechanisms: spec.mechanisms,
    input: spec.input,
    output: spec.output,
    errors: spec.errors,
    // Completing a stopped sign-in checks a credential, and the checks after it may send a second-factor code.
    limits: spec.pendingSignIn ? ["credential", "send"] : undefined,
    page: page ? (ctx, props) => page(routeContext(ctx), props) : undefined,
    handle: async (ctx, { input, caller, params }) =>
      spec.handle(routeContext(ctx), {
        input,
        caller: (caller ? routeCaller(ctx, caller) : null) as RouteCallerFor<A>,
        params,
        pending: spec.pendingSignIn ? await handPending(ctx, spec.pendingSignIn) : null,
      }),
  });
  const handle: Route = Object.freeze({ id: spec.id, method: spec.method, path: spec.path });
  declared.set(handle, { route, pendingSignIn: spec.pendingSignIn });
  return handle;
}

/** The attempt a sign-in check sees: whom, how the first factor was proved, and what is being made. */
export interface SignInAttemptView {
  user: PublicUser<RegisteredUserFields>;
  authnVia: readonly AuthnMethod[];
  remember: boolean;
  /** "session": a sign-in; "request": HTTP Basic, checked on every request. */
  kind: "session" | "request";
}

export interface FeatureSignInCheck {
  /** Unique among every feature's checks. */
  name: string;
  /** `continue`, `deny` (a form error) or `interrupt` (a next step; nobody is signed in). */
  run(ctx: RouteContext, attempt: SignInAttemptView): CheckOutcome | Promise<CheckOutcome>;
  /**
   * Declared: an interrupt may carry `pending: step`; the pipeline then keeps the stopped sign-in (with the step)
   * for a route of this feature declaring `pendingSignIn: name` to continue. Undeclared, such an interrupt throws.
   */
  pending?: PendingStep;
}

/** A value signed with the app's secret for one purpose, with a schema and a maximum age. */
export interface SignedValue<T> {
  seal(ctx: RouteContext, value: T): string;
  /** The value, or why not: "invalid" (forged, another purpose, not matching the schema) or "expired". */
  open(ctx: RouteContext, token: unknown): Opened<T>;
}

export function defineSignedValue<S extends z.ZodObject>(spec: {
  /** Signing key per purpose: a value signed for one purpose never opens for another (nor for Rampart's own). */
  purpose: string;
  schema: S;
  maxAgeSeconds: number;
}): SignedValue<z.output<S>> {
  type T = z.output<S> & Record<string, unknown>;
  const codec = defineCodec<T, T>({
    purpose: `app:${spec.purpose}`,
    maxAgeSeconds: () => spec.maxAgeSeconds,
    wire: spec.schema as unknown as z.ZodType<T>,
    encode: (value) => value,
    decode: (wire) => wire,
  });
  return {
    seal: (ctx, value) => codec.seal(internal(ctx).rt, value as T),
    open: (ctx, token) => codec.open(internal(ctx).rt, token),
  };
}

function internal(ctx: RouteContext): RequestContext {
  const found = requests.get(ctx);
  if (!found) throw new TypeError("not a RouteContext given by Rampart");
  return found;
}

/** What an app's feature contributes; `settings` is its resolved config slice ({} without one). */
export interface FeatureSpec<S extends z.ZodObject = z.ZodObject<{}>> {
  /** Lower-case letters, digits and dashes; not a built-in feature's name. */
  name: string;
  /** Its own configuration keys, resolved and checked strictly like the built-ins' (an unknown key fails startup). */
  config?: ConfigSlice<S>;
  /** Whether this configuration switches it on (default: always). Its config keys are checked either way. */
  enabled?(settings: Readonly<z.output<S>>, config: RampartConfig): boolean;
  /** Default texts of its message keys (declare the keys in `MessageCatalog`; apps override them in `messages`). */
  messages?: { [K in MessageKey]?: string };
  routes?(settings: Readonly<z.output<S>>): Route[];
  /** Run after the built-in checks for every way of signing in (and for HTTP Basic on every request). */
  signInChecks?(settings: Readonly<z.output<S>>): FeatureSignInCheck[];
  listeners?(settings: Readonly<z.output<S>>): EventListeners;
  /**
   * Migrations of its own tables, by `NNNN_name`: run by Rampart's migrator with Rampart's own (recorded as
   * `<feature name>/NNNN_name`, each once), whether the feature is switched on or not.
   */
  migrations?: Record<string, FeatureMigration>;
}

declare const definedFeature: unique symbol;

/** A feature made by `defineFeature`, for `createRampart({ features: [...] })`. */
export interface DefinedFeature {
  readonly name: string;
  readonly [definedFeature]: true;
}

const NAME = /^[a-z][a-z0-9-]{0,63}$/;

export function defineFeature<S extends z.ZodObject = z.ZodObject<{}>>(spec: FeatureSpec<S>): DefinedFeature {
  if (!NAME.test(spec.name) || builtinFeatures.some((f) => f.name === spec.name) || spec.name === "openapi")
    throw new TypeError(`feature name "${spec.name}" must be lower-case letters, digits and dashes, not a built-in's`);
  const key = spec.config?.key;
  const taken = key !== undefined && (key in configSchema.shape || configSlices().some((s) => s.key === key));
  if (taken) throw new TypeError(`feature "${spec.name}": config key "${key}" belongs to Rampart`);
  const settings = (config: RampartConfig) =>
    (spec.config ? sliceOf(config, spec.config) : {}) as Readonly<z.output<S>>;
  const feature: Feature = {
    name: spec.name,
    config: spec.config,
    messages: spec.messages as Record<string, string> | undefined,
    enabled: spec.enabled ? (config) => spec.enabled!(settings(config), config) : undefined,
    migrations: spec.migrations
      ? Object.fromEntries(Object.entries(spec.migrations).map(([name, m]) => [name, migrationOf(m)]))
      : undefined,
    routes: (rt) => {
      const steps = (spec.signInChecks?.(settings(rt.config)) ?? []).filter((c) => c.pending).map((c) => c.name);
      return (spec.routes?.(settings(rt.config)) ?? []).map((route) => {
        const found = declared.get(route);
        if (!found)
          throw new TypeError(`feature "${spec.name}": make its routes with defineRoute from rampart/feature`);
        // A route continues only sign-ins its own feature's check stopped with a step.
        if (found.pendingSignIn !== undefined && !steps.includes(found.pendingSignIn))
          throw new TypeError(
            `feature "${spec.name}": route "${route.id}" serves "${found.pendingSignIn}", not a check of it with a pending step`,
          );
        return found.route;
      });
    },
    signInChecks: (rt) =>
      (spec.signInChecks?.(settings(rt.config)) ?? []).map((check) => ({
        name: check.name,
        ...(check.pending ? { pending: pendingSpec(check.name, check.pending) } : {}),
        run: async (ctx, attempt) =>
          check.run(routeContext(ctx), {
            user: publicUser(attempt.user, ctx.rt.userFields) as PublicUser<RegisteredUserFields>,
            authnVia: [...attempt.authnVia],
            remember: attempt.remember,
            kind: attempt.kind,
          }),
      })),
    listeners: (rt) => spec.listeners?.(settings(rt.config)) ?? {},
  };
  return feature as unknown as DefinedFeature;
}
