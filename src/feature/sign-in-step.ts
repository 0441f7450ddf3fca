import type { z } from "zod";
import type { AuditEvent } from "../core/audit.js";
import { completeSignIn } from "../core/complete-sign-in.js";
import type { RequestContext } from "../core/context.js";
import type { AuthnMethod } from "../core/methods.js";
import type { JsonPayload, Outcome } from "../core/outcome.js";
import type { PendingSignIn, PendingStepSpec } from "../core/pending-sign-in.js";
import { publicUser, type PublicUser, type RegisteredUserFields } from "../core/public-user.js";

/**
 * A sign-in an app's check stopped, continued by the app's own route. The check interrupts with a step
 * (`{ kind: "interrupt", …, pending: step }`); the pipeline keeps the attempt in its signed pending cookie; a
 * route declaring `pendingSignIn: "<check name>"` is handed that attempt (only when its check is that one) and
 * completes it with `ctx.resumeSignIn`: the credential goes through Rampart's one credential check (budget
 * first), the attempt is consumed once, and the stored attempt signs in with every check run again.
 */

/** How an app's check keeps its step while the sign-in waits (declared on the check as `pending`). */
export interface PendingStep<S = unknown> {
  /** The step record's schema (kept signed in the pending cookie: keep it small, no secrets). */
  schema: z.ZodType<S>;
  /** How long the stopped sign-in may wait for the step. */
  maxAgeSeconds: number;
}

/** The stopped sign-in a route serving it is handed: whom, how the first factor was proved, the check's step. */
export interface PendingSignInView {
  user: PublicUser<RegisteredUserFields>;
  authnVia: readonly AuthnMethod[];
  remember: boolean;
  /** The step record the check interrupted with (parsed by its `pending.schema`). */
  step: unknown;
}

/** What completes a stopped sign-in: a credential checked like any other, and what to do once it holds. */
export interface ResumeSignIn {
  credential: {
    /** The audit event a failure is recorded under (the feature's own). */
    audit: AuditEvent;
    /**
     * At most `max` attempts per `windowSeconds` for `key` (the feature's own keys), drawn before `verify`. A step
     * that authenticates counts toward the account's lockout as well; one that does not (`authenticates: false`)
     * draws from this budget, by default 10 per user in 5 minutes.
     */
    budget?: { key: string; max: number; windowSeconds: number };
    /** Whether what the caller presented holds for the stopped sign-in's user. */
    verify(user: PublicUser<RegisteredUserFields>): boolean | Promise<boolean>;
    /** The code a failure reports (default INVALID_PASSWORD). */
    failure?: string;
    /** false: a failure is audited but is no failed authentication (`user_failed_authn`, lockout). Default true. */
    authenticates?: boolean;
  };
  /** After the credential held and the attempt was consumed, before the checks run again (record the step). */
  commit?(user: PublicUser<RegisteredUserFields>): Promise<void>;
  /** Extra keys of the signed-in payload. */
  extra?: JsonPayload;
  /** Where a browser goes once signed in (default the post-login view). */
  next?: string;
}

export type ResumedSignIn =
  /** Signed in — or stopped again by a check (a denial, another step): return the outcome. */
  | { ok: true; outcome: Outcome<JsonPayload, never> }
  /**
   * NO_PENDING_SIGN_IN: this request's route was handed no stopped sign-in, or resumed it already;
   * ALREADY_USED: this stopped sign-in was completed before (a replayed cookie); BUDGET_SPENT or the credential's
   * failure code: the credential did not hold (nothing else happened).
   */
  | { ok: false; reason: string };

const stepName = (check: string) => `app:${check}`;

/** The pipeline's spec of an app check's step. */
export function pendingSpec(check: string, step: PendingStep): PendingStepSpec<unknown, unknown> {
  return {
    wire: step.schema as z.ZodType<unknown>,
    encode: (value) => step.schema.parse(value),
    decode: (wire) => wire,
    maxAgeSeconds: () => step.maxAgeSeconds,
    // Only the route serving this check completes it (never a second-factor route, and never another check's).
    resumableBy: (_step, method) => method === stepName(check),
  };
}

/** Stopped sign-ins handed to a route, by request: taken by the first `resumeSignIn` (once per request). */
const handed = new WeakMap<RequestContext, PendingSignIn>();

/** Loads the request's stopped sign-in if the route's check stopped it, and hands its view to the handler. */
export async function handPending(ctx: RequestContext, check: string): Promise<PendingSignInView | null> {
  const pending = await ctx.rt.pipeline.pending(ctx);
  if (!pending || pending.check !== check) return null;
  handed.set(ctx, pending);
  return {
    user: publicUser(pending.user, ctx.rt.userFields) as PublicUser<RegisteredUserFields>,
    authnVia: [...pending.authnVia],
    remember: pending.remember,
    step: pending.step,
  };
}

export async function resumeSignIn(ctx: RequestContext, how: ResumeSignIn): Promise<ResumedSignIn> {
  const pending = handed.get(ctx) ?? null;
  handed.delete(ctx);
  if (!pending) return { ok: false, reason: "NO_PENDING_SIGN_IN" };
  const view = (user: PendingSignIn["user"]) => publicUser(user, ctx.rt.userFields) as PublicUser<RegisteredUserFields>;
  const { credential } = how;
  const result = await ctx.rt.pipeline.resume(ctx, pending, {
    step: stepName(pending.check),
    credential: {
      kind: stepName(pending.check),
      audit: credential.audit,
      // Every completion is limited: the account's lockout when the step authenticates, the app's budget if it
      // gives one, and by default 10 tries per user in 5 minutes for a step that does not authenticate.
      ...(credential.budget || credential.authenticates === false
        ? {
            limit: {
              spec: {
                name: stepName(pending.check),
                points: credential.budget?.max ?? 10,
                durationSeconds: credential.budget?.windowSeconds ?? 300,
              },
              key: credential.budget?.key ?? `user:${pending.user.id}`,
            },
          }
        : {}),
      verify: async (user) => ({ valid: (await credential.verify(view(user))) === true }),
      ...(credential.failure ? { failure: credential.failure } : {}),
      ...(credential.authenticates === false ? { authenticates: false } : {}),
    },
    commit: async (user) => {
      await how.commit?.(view(user));
      return user;
    },
    includeAuthToken: ctx.includeAuthToken(),
  });
  if (result.kind === "no-pending") return { ok: false, reason: "NO_PENDING_SIGN_IN" };
  if (result.kind === "replayed") return { ok: false, reason: "ALREADY_USED" };
  if (result.kind === "failed") return { ok: false, reason: result.reason };
  const outcome = await completeSignIn(ctx, result, {
    action: "login",
    extra: how.extra,
    ...(how.next ? { next: how.next } : {}),
  });
  return { ok: true, outcome: outcome as Outcome<JsonPayload, never> };
}
