import { z } from "zod";
import { randomToken, sha256Hex } from "../crypto/random.js";
import type { UserRecord } from "../datastore/contracts.js";
import { defineCodec } from "./codec.js";
import type { RequestContext } from "./context.js";
import { hostCookieName } from "./cookie-names.js";
import type { AuthnMethod, SecondFactorMethod } from "./methods.js";
import type { Runtime } from "./runtime.js";

/**
 * An interrupted sign-in, kept by the pipeline between the first factor and the step a check asked for (a
 * second factor, choosing one, setting one up). It is a signed cookie — `rampart_tf` (`__Host-` when Secure),
 * the name Flask-Security-era clients know — naming the user by fs_uniquifier (a rotated uniquifier kills it),
 * how the first factor was proved, the remember intent, and the interrupting check's own step record. It grants
 * nothing by itself: `pipeline.resume` completes it once, after verifying a factor.
 */
export interface PendingSignIn {
  readonly user: UserRecord;
  readonly authnVia: readonly AuthnMethod[];
  readonly remember: boolean;
  /** The first factor already counted as multi-factor (see SignInAttempt.firstFactorIsMultiFactor). */
  readonly firstFactorIsMultiFactor: boolean;
  /**
   * A second factor this attempt already proved through `pipeline.resume` before another check stopped it (e.g.
   * accepting new terms after the code): written only by the pipeline, so the later step does not ask for it again.
   */
  readonly secondFactor?: SecondFactorMethod;
  /** Name of the check that interrupted, and its step record (typed by that check's `pending` spec). */
  readonly check: string;
  readonly step: unknown;
  /**
   * The attempt's own random id and the time (seconds) its first factor was proved. A step that changes (a factor
   * chosen, a code re-sent) re-signs the cookie with both kept: the attempt is consumed once by its id, whichever
   * of its cookies is presented, and it may not outlive its step's max age counted from its start.
   */
  readonly id: string;
  readonly startedAt: number;
}

/** How a check keeps its step in a pending sign-in: the step's wire schema and how long the attempt may wait. */
export interface PendingStepSpec<S, W = unknown> {
  wire: z.ZodType<W>;
  encode(step: S): W;
  decode(wire: W): S;
  maxAgeSeconds(rt: Runtime): number;
  /** Whether `method` may complete an attempt waiting at `step` (e.g. only the factor the user chose). */
  resumableBy(step: S, method: string): boolean;
  /**
   * The factor that completes this step is a second factor (two-factor's step). Only then does the resumed
   * sign-in record it as one: a step of another kind (accepting terms, a new password) proves no second factor,
   * so the two-factor check still runs after it.
   */
  provesSecondFactor?: boolean;
}

export const PENDING_COOKIE = "rampart_tf";

const pendingCodec = defineCodec({
  purpose: "signin-pending",
  // Each check says how long its step may wait; checked against the issue time once the check is known.
  maxAgeSeconds: () => undefined,
  wire: z.object({
    u: z.string(),
    v: z.array(z.string()),
    r: z.boolean(),
    x: z.literal(true).optional(),
    k: z.string(),
    s: z.unknown(),
    a: z.string().min(16).max(64),
    t: z.number().int().nonnegative(),
    f: z.string().optional(),
  }),
  encode: (p: {
    u: string;
    v: string[];
    r: boolean;
    mf: boolean;
    check: string;
    step: unknown;
    id: string;
    startedAt: number;
    secondFactor?: string | undefined;
  }) => ({
    u: p.u,
    v: p.v,
    r: p.r,
    ...(p.mf ? { x: true as const } : {}),
    k: p.check,
    s: p.step,
    a: p.id,
    t: p.startedAt,
    ...(p.secondFactor ? { f: p.secondFactor } : {}),
  }),
  decode: (w) => ({
    u: w.u,
    v: w.v,
    r: w.r,
    mf: w.x === true,
    check: w.k,
    step: w.s,
    id: w.a,
    startedAt: w.t,
    secondFactor: w.f,
  }),
});

function cookieName(ctx: RequestContext): string {
  return hostCookieName(ctx.rt.config, PENDING_COOKIE);
}

function cookieOptions(ctx: RequestContext) {
  return { httpOnly: true, secure: ctx.rt.config.session.cookieSecure, sameSite: "Lax", path: "/" } as const;
}

/** The requests the pipeline loaded each attempt from (an attempt made up by a caller is in none). */
const loaded = new WeakMap<PendingSignIn, RequestContext>();

/**
 * Keeps an interrupted attempt. `facts.id`/`facts.startedAt` are given when the attempt goes on with a new step
 * (the same attempt); a new attempt gets a fresh id and starts now.
 */
export function storePending(
  ctx: RequestContext,
  facts: {
    user: UserRecord;
    authnVia: readonly AuthnMethod[];
    remember: boolean;
    firstFactorIsMultiFactor: boolean;
    secondFactor?: SecondFactorMethod | undefined;
    id?: string;
    startedAt?: number;
  },
  check: string,
  spec: PendingStepSpec<any, any>,
  step: unknown,
): void {
  const token = pendingCodec.seal(ctx.rt, {
    u: facts.user.fsUniquifier,
    v: [...facts.authnVia],
    r: facts.remember,
    mf: facts.firstFactorIsMultiFactor,
    check,
    step: spec.encode(step),
    id: facts.id ?? randomToken(16),
    startedAt: facts.startedAt ?? ctx.nowSeconds(),
    secondFactor: facts.secondFactor,
  });
  ctx.setCookie(cookieName(ctx), token, { ...cookieOptions(ctx), maxAge: spec.maxAgeSeconds(ctx.rt) });
}

export function clearPendingCookie(ctx: RequestContext): void {
  ctx.deleteCookie(cookieName(ctx), cookieOptions(ctx));
}

/** The request's pending sign-in; null when absent, expired, tampered, of an unknown check, or its user is gone. */
export async function loadPending(
  ctx: RequestContext,
  specOf: (check: string) => PendingStepSpec<any, any> | undefined,
): Promise<PendingSignIn | null> {
  const opened = pendingCodec.open(ctx.rt, ctx.cookie(cookieName(ctx)));
  if (!opened.ok) return null;
  const { value } = opened;
  const spec = specOf(value.check);
  // The age counts from the attempt's start, not from the cookie's last re-signing.
  if (!spec || ctx.nowSeconds() - opened.value.startedAt > spec.maxAgeSeconds(ctx.rt)) return null;
  const wire = spec.wire.safeParse(value.step);
  if (!wire.success) return null;
  const user = await ctx.rt.datastore.users.findByUniquifier(value.u);
  if (!user || !user.active) return null;
  const pending: PendingSignIn = {
    user,
    // Written by storePending from a typed attempt and signed: the names are ones this build declared.
    authnVia: value.v as AuthnMethod[],
    remember: value.r,
    firstFactorIsMultiFactor: value.mf,
    check: value.check,
    step: spec.decode(wire.data),
    id: value.id,
    startedAt: value.startedAt,
    // Written by the pipeline from a factor it verified (see above), and signed.
    ...(value.secondFactor ? { secondFactor: value.secondFactor as SecondFactorMethod } : {}),
  };
  loaded.set(pending, ctx);
  return pending;
}

/** True when `pending` was loaded by the pipeline from this very request (not made up by a caller). */
export function loadedFrom(ctx: RequestContext, pending: PendingSignIn): boolean {
  return loaded.get(pending) === ctx;
}

/**
 * Marks the pending attempt as used: true for the first caller, false when the attempt was completed already —
 * by a replayed copy of its cookie or by another cookie of the same attempt (one issued before a step changed).
 * Keyed by the attempt's id, which only the pipeline writes (the cookie is signed).
 */
export async function consumePendingOnce(
  ctx: RequestContext,
  pending: PendingSignIn,
  spec: PendingStepSpec<any, any>,
): Promise<boolean> {
  if (!loadedFrom(ctx, pending)) return false;
  const key = `signin-pending:${sha256Hex(pending.id)}`;
  return (await ctx.rt.datastore.attempts.hit(key, spec.maxAgeSeconds(ctx.rt) + 60, ctx.now())) === 1;
}

/** One use of a signed value's marker (a two-factor change of method): true for the first caller only. */
export async function consumeMarker(ctx: RequestContext, marker: string, maxAgeSeconds: number): Promise<boolean> {
  const key = `tf-pending:${sha256Hex(marker)}`;
  return (await ctx.rt.datastore.attempts.hit(key, maxAgeSeconds + 60, ctx.now())) === 1;
}
