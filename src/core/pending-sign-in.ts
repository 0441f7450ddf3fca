import { z } from "zod";
import { sha256Hex } from "../crypto/random.js";
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
   * The second factor the pipeline verified before a later check stopped the attempt (a 2FA user stopped by an
   * app's terms check): carried so completing the later step does not ask for the factor again.
   */
  readonly secondFactor?: SecondFactorMethod;
  /** Name of the check that interrupted, and its step record (typed by that check's `pending` spec). */
  readonly check: string;
  readonly step: unknown;
}

/** How a check keeps its step in a pending sign-in: the step's wire schema and how long the attempt may wait. */
export interface PendingStepSpec<S, W = unknown> {
  wire: z.ZodType<W>;
  encode(step: S): W;
  decode(wire: W): S;
  maxAgeSeconds(rt: Runtime): number;
  /** Whether `method` may complete an attempt waiting at `step` (e.g. only the factor the user chose). */
  resumableBy(step: S, method: string): boolean;
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
    f: z.string().optional(),
    k: z.string(),
    s: z.unknown(),
  }),
  encode: (p: { u: string; v: string[]; r: boolean; mf: boolean; f?: string; check: string; step: unknown }) => ({
    u: p.u,
    v: p.v,
    r: p.r,
    ...(p.mf ? { x: true as const } : {}),
    ...(p.f ? { f: p.f } : {}),
    k: p.check,
    s: p.step,
  }),
  decode: (w) => ({ u: w.u, v: w.v, r: w.r, mf: w.x === true, f: w.f, check: w.k, step: w.s }),
});

function cookieName(ctx: RequestContext): string {
  return hostCookieName(ctx.rt.config, PENDING_COOKIE);
}

function cookieOptions(ctx: RequestContext) {
  return { httpOnly: true, secure: ctx.rt.config.session.cookieSecure, sameSite: "Lax", path: "/" } as const;
}

/** What the pipeline knows of an attempt it loaded itself: its single-use marker, and the request it came with. */
const loaded = new WeakMap<PendingSignIn, { ctx: RequestContext; marker: string }>();

export function storePending(
  ctx: RequestContext,
  facts: {
    user: UserRecord;
    authnVia: readonly AuthnMethod[];
    remember: boolean;
    firstFactorIsMultiFactor: boolean;
    secondFactor?: SecondFactorMethod | undefined;
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
    ...(facts.secondFactor ? { f: facts.secondFactor } : {}),
    check,
    step: spec.encode(step),
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
  if (!spec || ctx.nowSeconds() - opened.issuedAtSeconds > spec.maxAgeSeconds(ctx.rt)) return null;
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
    // Signed by storePending from a factor the pipeline verified.
    ...(value.f ? { secondFactor: value.f as SecondFactorMethod } : {}),
    check: value.check,
    step: spec.decode(wire.data),
  };
  loaded.set(pending, { ctx, marker: opened.marker });
  return pending;
}

/** True when `pending` was loaded by the pipeline from this very request (not made up by a caller). */
export function loadedFrom(ctx: RequestContext, pending: PendingSignIn): boolean {
  return loaded.get(pending)?.ctx === ctx;
}

/**
 * Marks the pending attempt as used: true for the first caller, false when this very cookie was used already (a
 * replayed copy). Keyed by the verified signature's bytes (the signer's marker), never by the cookie's text, so
 * a copy spelled differently is the same attempt.
 */
export async function consumePendingOnce(
  ctx: RequestContext,
  pending: PendingSignIn,
  spec: PendingStepSpec<any, any>,
): Promise<boolean> {
  const marker = loaded.get(pending)?.marker;
  if (!marker) return false;
  return consumeMarker(ctx, marker, spec.maxAgeSeconds(ctx.rt));
}

/** One use of a signed value's marker (pending sign-ins, two-factor changes): true for the first caller only. */
export async function consumeMarker(ctx: RequestContext, marker: string, maxAgeSeconds: number): Promise<boolean> {
  const key = `tf-pending:${sha256Hex(marker)}`;
  return (await ctx.rt.datastore.attempts.hit(key, maxAgeSeconds + 60, ctx.now())) === 1;
}
