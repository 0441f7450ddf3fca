import type { RequestContext } from "./context.js";
import { issueCsrfToken } from "./csrf.js";
import { DependencyUnavailableError, HashQueueFullError, RateLimitedError, RefusalError } from "./errors.js";
import { setFlash, takeFlashes } from "./http/flash.js";
import {
  bareJsonResponse,
  errorPayload,
  errorStatus,
  htmlResponse,
  jsonResponse,
  plainErrorJson,
  redirectResponse,
  type FieldErrors,
} from "./http/respond.js";
import { FieldLengthError } from "./input.js";
import type { Outcome, Refused } from "./outcome.js";
import { html, layout, type Flash } from "../pages/kit.js";

/**
 * The one place an outcome becomes a Response. API callers (FS rule: a JSON body or `Accept: application/json`)
 * get the envelope `{ meta: { code }, response }`; browsers get the route's page, a redirect, or a short refusal
 * page. Pages always carry a CSRF token; a form re-rendered with errors answers 200 (a 5xx stays 5xx) so the
 * browser shows it.
 */
export interface PageProps<I = Record<string, unknown>, V = unknown> {
  csrfToken: string;
  /** The parsed input of this request (what the user typed, for re-filling the form). */
  input: Partial<I>;
  errors?: FieldErrors;
  /** Data the handler handed to its page (e.g. a QR code to show). */
  view?: V;
  /** Flash messages from a previous redirect; reading them consumes them. */
  takeFlashes(): Flash[];
}

export type PageRenderer<I = any, V = any> = (ctx: RequestContext, props: PageProps<I, V>) => string | Promise<string>;

export interface RenderTarget {
  page?: PageRenderer | undefined;
  input?: Record<string, unknown>;
}

export async function render(
  ctx: RequestContext,
  outcome: Outcome<any, any>,
  target: RenderTarget = {},
): Promise<Response> {
  if (outcome.kind === "redirect") return redirectResponse(ctx, outcome.location, outcome.status);
  const jsonForBrowser =
    // A route without a page answers browsers in JSON, unless the handler said where a browser goes.
    (!target.page &&
      ((outcome.kind === "ok" && !(outcome.browser && "redirect" in outcome.browser)) ||
        outcome.kind === "form-errors")) ||
    (outcome.kind === "refused" && outcome.browser !== undefined && "json" in outcome.browser) ||
    (outcome.kind === "ok" && outcome.bare === true);
  if (ctx.wantsJson || jsonForBrowser) return renderJson(ctx, outcome);
  switch (outcome.kind) {
    case "ok": {
      const answer = outcome.browser;
      if (answer && "redirect" in answer) return browserRedirect(ctx, answer);
      return page(ctx, target, answer?.status ?? outcome.status ?? 200, { view: answer?.view }, outcome.headers);
    }
    case "form-errors": {
      const status = errorStatus(outcome.errors, outcome.status ?? 400);
      return page(ctx, target, status >= 500 ? status : 200, { errors: outcome.errors, view: outcome.view });
    }
    case "refused":
      if (outcome.browser && "page" in outcome.browser && target.page) {
        return page(
          ctx,
          target,
          outcome.status,
          { errors: { "": outcome.refs }, view: outcome.browser.view },
          outcome.headers,
        );
      }
      return refusalPage(ctx, outcome);
    case "interrupted": {
      const fromPayload = typeof outcome.payload.redirect === "string" ? outcome.payload.redirect : null;
      return redirectResponse(ctx, outcome.redirect ?? fromPayload ?? ctx.rt.url(ctx.rt.config.urls.login));
    }
  }
}

async function renderJson(
  ctx: RequestContext,
  outcome: Exclude<Outcome<any, any>, { kind: "redirect" }>,
): Promise<Response> {
  switch (outcome.kind) {
    case "ok": {
      const payload = outcome.csrf ? { ...outcome.payload, csrf_token: await issueCsrfToken(ctx) } : outcome.payload;
      if (outcome.bare) return bareJsonResponse(ctx, outcome.status ?? 200, payload, outcome.headers);
      return jsonResponse(ctx, outcome.status ?? 200, payload, outcome.headers);
    }
    case "form-errors":
      return jsonResponse(ctx, errorStatus(outcome.errors, outcome.status ?? 400), {
        ...errorPayload(ctx, outcome.errors),
        ...outcome.extra,
      });
    case "refused":
      return plainErrorJson(ctx, outcome.status, outcome.refs, outcome.extra, outcome.headers);
    case "interrupted":
      return jsonResponse(ctx, outcome.status ?? 200, { ...outcome.payload, csrf_token: await issueCsrfToken(ctx) });
  }
}

async function page(
  ctx: RequestContext,
  target: RenderTarget,
  status: number,
  props: Pick<PageProps, "errors" | "view">,
  headers?: Record<string, string>,
): Promise<Response> {
  const body = await target.page!(ctx, {
    csrfToken: await issueCsrfToken(ctx),
    input: target.input ?? {},
    errors: props.errors,
    view: props.view,
    takeFlashes: () => takeFlashes(ctx),
  });
  return htmlResponse(ctx, status, body, headers);
}

/** A browser sent elsewhere, with the flash message the next page shows (API callers never get one). */
function browserRedirect(ctx: RequestContext, answer: { redirect: string; flash?: Flash }): Response {
  if (answer.flash) setFlash(ctx, answer.flash.category, answer.flash.message);
  return redirectResponse(ctx, answer.redirect);
}

function refusalPage(ctx: RequestContext, outcome: Refused): Response {
  const answer = outcome.browser;
  if (answer && "redirect" in answer) return browserRedirect(ctx, answer);
  const text = outcome.refs.map((r) => r.text ?? ctx.rt.message(r.code, r.params));
  const back = answer && "back" in answer ? answer.back : undefined;
  const body = layout(
    "Request refused",
    html`${text.map((t) => html`<p class="flash error">${t}</p>`)}${back ? html`<p><a href="${back}">Back</a></p>` : ""}`,
    {
      appName: ctx.rt.config.appName,
    },
  );
  return htmlResponse(ctx, outcome.status, body, outcome.headers);
}

/**
 * A thrown error as an outcome: a RefusalError is its own refusal; a full hash queue or a failing dependency is
 * 503 with Retry-After (the caller should try again); anything else is a 500 with no details (logged).
 */
export function errorOutcome(ctx: RequestContext, error: unknown, target: RenderTarget = {}): Outcome | null {
  // Over-long fields: the form comes back with each field's message (a route without a page: a refusal page).
  if (error instanceof FieldLengthError && (ctx.wantsJson || target.page))
    return { kind: "form-errors", errors: error.fieldErrors };
  if (error instanceof RateLimitedError) {
    const headers = { "retry-after": String(error.retryAfterSeconds) };
    return { kind: "refused", refs: [{ code: error.code }], status: 429, headers };
  }
  if (error instanceof RefusalError)
    return {
      kind: "refused",
      refs: [{ code: error.code, params: error.params }],
      status: error.status,
      ...(error.headers ? { headers: error.headers } : {}),
    };
  if (error instanceof HashQueueFullError)
    return { kind: "refused", refs: [{ code: "SERVICE_BUSY" }], status: 503, headers: { "retry-after": "1" } };
  if (error instanceof DependencyUnavailableError) {
    logFault(ctx, error);
    return { kind: "refused", refs: [{ code: "SERVICE_BUSY" }], status: 503, headers: { "retry-after": "5" } };
  }
  return null;
}

/** Per runtime and dependency: until when further failures are only counted, and how many were. */
const faultLog = new WeakMap<object, Map<string, { until: number; more: number }>>();
const FAULT_LOG_WINDOW_MS = 10_000;

/**
 * One warning line per dependency per 10 s, without a stack trace (an outage fails every request: logging each
 * would flood the log when it is needed most); the next line says how many failures it left out.
 */
function logFault(ctx: RequestContext, error: DependencyUnavailableError): void {
  let byDependency = faultLog.get(ctx.rt);
  if (!byDependency) faultLog.set(ctx.rt, (byDependency = new Map()));
  const now = Date.now();
  const state = byDependency.get(error.dependency);
  if (state && now < state.until) {
    state.more++;
    return;
  }
  const left = state?.more ? ` (${state.more} more such failures since the last line)` : "";
  byDependency.set(error.dependency, { until: now + FAULT_LOG_WINDOW_MS, more: 0 });
  ctx.rt.logger.warn(`${ctx.request.method} ${ctx.url.pathname} answered 503: ${error.message}${left}`);
}

/** Renders a thrown error (see errorOutcome); an unexpected one is logged and answered 500 with no details. */
export async function renderError(ctx: RequestContext, error: unknown, target: RenderTarget = {}): Promise<Response> {
  const outcome = errorOutcome(ctx, error, target);
  if (outcome) return render(ctx, outcome, target);
  ctx.rt.logger.error(`unhandled error on ${ctx.request.method} ${ctx.url.pathname}`, error);
  if (ctx.wantsJson) return jsonResponse(ctx, 500, { errors: ["Internal error"], error_codes: ["INTERNAL_ERROR"] });
  return htmlResponse(ctx, 500, layout("Something went wrong", html`<p>Please try again later.</p>`));
}
