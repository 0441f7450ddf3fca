import type { FieldErrors, MessageRef } from "./http/respond.js";
import type { MessageKey } from "./messages.js";
import type { Flash } from "../pages/kit.js";

/**
 * What a handler or an operation decided, before anyone chose between JSON and a page. Handlers return one of
 * these; `render.ts` alone turns it into a Response (the JSON envelope for API callers, the route's page, a
 * redirect or a refusal page for browsers), so every endpoint answers errors, CSRF tokens and statuses alike.
 */
export type JsonPayload = Record<string, unknown>;

/**
 * What a browser gets where an API caller gets the payload: a redirect (with a flash message the next page
 * shows), or the route's page with view data.
 */
export type BrowserAnswer<V> = { redirect: string; flash?: Flash } | { view: V; status?: number };

export interface Ok<P extends JsonPayload = JsonPayload, V = unknown> {
  kind: "ok";
  payload: P;
  /** JSON status (default 200). */
  status?: number;
  /** Add a fresh `csrf_token` to the JSON payload (forms' GET, and answers after which the session changed). */
  csrf?: boolean;
  /** Default: the route's page rendered with no view data. */
  browser?: BrowserAnswer<V>;
  /** Extra headers of the JSON answer and of the page (not of a redirect). */
  headers?: Record<string, string>;
  /** Serve the payload as the whole body, without the envelope (a document such as /openapi.json). */
  bare?: boolean;
}

/** Form-level refusal: field errors (form-wide ones under ""), the page re-rendered with them for browsers. */
export interface FormErrors<V = unknown> {
  kind: "form-errors";
  errors: FieldErrors;
  /** JSON status when no error asks for its own (default 400). Pages answer 200 unless it is 5xx. */
  status?: number;
  view?: V;
  /** Extra JSON keys next to the errors (e.g. `current_email`). */
  extra?: JsonPayload;
}

/** Request-level refusal: `errors` and `error_codes` only (401, 403, a denied step); browsers see a page or go elsewhere. */
export interface Refused {
  kind: "refused";
  refs: MessageRef[];
  status: number;
  /** Extra JSON keys (e.g. `reauth_required`). */
  extra?: JsonPayload;
  headers?: Record<string, string>;
  /**
   * Default: a short page with the message; `json` answers browsers like API callers (a Basic challenge). A
   * redirect may carry a flash for the page it lands on (emailed links answer browsers only with redirects);
   * `page` shows the route's own page with the messages as form errors, at this status (the form that can fix it).
   */
  browser?:
    | { redirect: string; flash?: Flash }
    | { back: string }
    | { json: true }
    | { page: true; view?: unknown }
    | undefined;
}

/** A sign-in the pipeline stopped for another step (second factor): nobody is signed in. */
export interface Interrupted {
  kind: "interrupted";
  status?: number;
  payload: JsonPayload;
  /** Where a browser continues; default the login page. */
  redirect?: string;
}

/** The same redirect for every caller (emailed links, SPA redirects). */
export interface Redirect {
  kind: "redirect";
  location: string;
  status?: number;
}

export type Outcome<P extends JsonPayload = JsonPayload, V = unknown> =
  Ok<P, V> | FormErrors<V> | Refused | Interrupted | Redirect;

export function ok<P extends JsonPayload, V = never>(
  payload: P,
  options: Omit<Ok<P, V>, "kind" | "payload"> = {},
): Ok<P, V> {
  return { kind: "ok", payload, ...options };
}

export function formErrors<V = never>(
  errors: FieldErrors,
  options: Omit<FormErrors<V>, "kind" | "errors"> = {},
): FormErrors<V> {
  return { kind: "form-errors", errors, ...options };
}

/** One field's error (the common case). */
export function fieldError<V = never>(
  field: string,
  code: MessageKey,
  options: Omit<FormErrors<V>, "kind" | "errors"> = {},
): FormErrors<V> {
  return formErrors({ [field]: [{ code }] }, options);
}

export function refused(
  code: MessageKey,
  status: number,
  options: Omit<Refused, "kind" | "refs" | "status"> = {},
): Refused {
  return { kind: "refused", refs: [{ code }], status, ...options };
}

export function redirect(location: string, status = 302): Redirect {
  return { kind: "redirect", location, status };
}

export function interrupted(payload: JsonPayload, options: Omit<Interrupted, "kind" | "payload"> = {}): Interrupted {
  return { kind: "interrupted", payload, ...options };
}

/** Outcomes that are not a success, for helpers that either pass or refuse. */
export type Refusal = FormErrors<never> | Refused | Redirect;

export function isOutcome(value: unknown): value is Outcome {
  return (
    typeof value === "object" &&
    value !== null &&
    "kind" in value &&
    typeof (value as { kind: unknown }).kind === "string"
  );
}
