import { z } from "zod";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { hostCookieName } from "../../core/cookie-names.js";
import { defineCodec } from "../../core/codec.js";
import { consumeMarker, PENDING_COOKIE, type PendingSignIn, type PendingStepSpec } from "../../core/pending-sign-in.js";
import type { Runtime } from "../../core/runtime.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { twoFactorSlice, type TwoFactorConfig } from "./config.js";

/**
 * Two-factor's state between requests, in signed cookies:
 * - the step of a pending sign-in (the pipeline keeps the attempt itself, core/pending-sign-in.ts): where the
 *   second factor stands — choosing one, setting one up (the NEW secret sealed with TOTP_SECRETS), or waiting
 *   for a code — plus the method and the nonce of the code sent for this attempt;
 * - a signed-in user's change of method (FS "changing"), its own codec, under the same cookie name (clients of
 *   Flask-Security's era look for `rampart_tf`): only that signed-in user completes it.
 * Neither grants anything by itself.
 */
const VALIDITY_PURPOSE = "tf-validity";

export type TfState = "setup_from_login" | "ready" | "validating_profile" | "select";
const STATES = ["setup_from_login", "ready", "validating_profile", "select"] as const;

/** Two-factor's step in a pending sign-in. */
export interface TfStep {
  state: TfState;
  /** ready: the chosen second factor; validating_profile: the one being set up; otherwise null. */
  method: string | null;
  /** The sealed new secret (set-up only). */
  sealed?: string;
  /** The phone number being set up (sms). */
  phone?: string;
  /** Nonce of the code sent for this attempt (email/sms). */
  nonce?: number;
  /** Rescue: a code was mailed instead of the primary method (method is then "email"). */
  rescue?: boolean;
}

export function tfConfig(rt: Runtime): TwoFactorConfig {
  return sliceOf(rt.config, twoFactorSlice) as TwoFactorConfig;
}

/** The step on the wire (short names, as before the pipeline kept the attempt). */
const stepWire = z.object({
  s: z.enum(STATES),
  m: z.string().nullable(),
  t: z.string().optional(),
  p: z.string().optional(),
  n: z.number().int().optional(),
  e: z.literal(true).optional(),
});

export const tfPendingSpec: PendingStepSpec<TfStep, z.output<typeof stepWire>> = {
  wire: stepWire,
  encode: (step) => ({
    s: step.state,
    m: step.method,
    ...(step.sealed !== undefined ? { t: step.sealed } : {}),
    ...(step.phone !== undefined ? { p: step.phone } : {}),
    ...(step.nonce !== undefined ? { n: step.nonce } : {}),
    ...(step.rescue ? { e: true as const } : {}),
  }),
  decode: (w) => ({
    state: w.s,
    method: w.m,
    ...(w.t !== undefined ? { sealed: w.t } : {}),
    ...(w.p !== undefined ? { phone: w.p } : {}),
    ...(w.n !== undefined ? { nonce: w.n } : {}),
    ...(w.e ? { rescue: true } : {}),
  }),
  maxAgeSeconds: (rt) => tfConfig(rt).pendingWithinSeconds,
  // A code completes only the factor this attempt waits for; a recovery code stands in for it at "ready".
  resumableBy: (step, method) =>
    (step.state === "ready" || step.state === "validating_profile") &&
    (method === step.method || (method === "recovery_code" && step.state === "ready")),
  provesSecondFactor: true,
};

/** A pending sign-in waiting for two-factor, with its step. */
export interface TfPending {
  pending: PendingSignIn;
  step: TfStep;
  user: UserRecord;
}

/** The request's pending sign-in when two-factor interrupted it; null otherwise (absent, expired, tampered…). */
export async function readPending(ctx: RequestContext): Promise<TfPending | null> {
  const pending = await ctx.rt.pipeline.pending(ctx);
  return pending ? tfPendingOf(pending) : null;
}

/** A pending sign-in as two-factor's, when two-factor interrupted it. */
export function tfPendingOf(pending: PendingSignIn): TfPending | null {
  if (pending.check !== TWO_FACTOR_CHECK) return null;
  // The pipeline decoded the step with tfPendingSpec, the spec the two-factor check declares.
  const step = pending.step as TfStep;
  // A sign-in that set up its method during the login was begun when the user had none. If the user set one up
  // since (the user, not whoever holds this attempt), the attempt is over: it must never replace that method.
  if (isLoginSetup(step) && primaryMethod(pending.user)) return null;
  return { pending, step, user: pending.user };
}

/** A pending sign-in waiting at "ready" (a factor chosen): what the rescue and recovery-code forms serve. */
export function waitingAtReady(pending: PendingSignIn): TfPending | null {
  const tf = tfPendingOf(pending);
  return tf && tf.step.state === "ready" ? tf : null;
}

/** The next step of the same pending sign-in (a factor chosen, a set-up begun, a rescue code mailed). */
export function setStep(ctx: RequestContext, tf: TfPending, step: TfStep): void {
  ctx.rt.pipeline.updatePending(ctx, tf.pending, step);
}

export function clearPending(ctx: RequestContext): void {
  ctx.rt.pipeline.clearPending(ctx);
}

export const TWO_FACTOR_CHECK = "two-factor";

export { secretBox } from "../../kit/passcodes/index.js";

function validityCookieName(ctx: RequestContext): string {
  return tfConfig(ctx.rt).validityCookieName ?? hostCookieName(ctx.rt.config, "tf_validity");
}

/** A pending sign-in that is setting up its method. */
export function isLoginSetup(step: TfStep): boolean {
  return step.state === "setup_from_login" || step.state === "validating_profile";
}

/** The user's configured code method, or null when 2FA is not set up for them. */
export function primaryMethod(user: UserRecord): string | null {
  return user.tfPrimaryMethod && user.tfTotpSecret ? user.tfPrimaryMethod : null;
}

/** A signed-in user's change of method (FS "changing"), waiting for the first code of the new secret. */
export interface TfChange {
  /** fs_uniquifier of the signed-in user who started it. */
  user: string;
  method: string;
  sealed: string;
  phone: string | null;
  nonce: number;
  /** The user's method when the change started (null: none): a change settled meanwhile leaves this one stale. */
  previous: string | null;
}

const changeCodec = defineCodec({
  purpose: "tf-changing",
  maxAgeSeconds: (rt) => tfConfig(rt).pendingWithinSeconds,
  wire: z.object({
    u: z.string(),
    m: z.string(),
    t: z.string(),
    p: z.string().optional(),
    n: z.number().int(),
    o: z.string().optional(),
  }),
  encode: (c: TfChange) => ({
    u: c.user,
    m: c.method,
    t: c.sealed,
    n: c.nonce,
    ...(c.phone !== null ? { p: c.phone } : {}),
    ...(c.previous !== null ? { o: c.previous } : {}),
  }),
  decode: (w) => ({ user: w.u, method: w.m, sealed: w.t, phone: w.p ?? null, nonce: w.n, previous: w.o ?? null }),
});

function cookieBase(ctx: RequestContext) {
  return { httpOnly: true, secure: ctx.rt.config.session.cookieSecure, sameSite: "Lax", path: "/" } as const;
}

export function setChange(ctx: RequestContext, change: TfChange): void {
  ctx.setCookie(hostCookieName(ctx.rt.config, PENDING_COOKIE), changeCodec.seal(ctx.rt, change), {
    ...cookieBase(ctx),
    maxAge: tfConfig(ctx.rt).pendingWithinSeconds,
  });
}

/** The request's pending change (any user's: the caller matches it), with its single-use marker. */
export function readChange(ctx: RequestContext): { change: TfChange; marker: string } | null {
  const opened = changeCodec.open(ctx.rt, ctx.cookie(hostCookieName(ctx.rt.config, PENDING_COOKIE)));
  return opened.ok ? { change: opened.value, marker: opened.marker } : null;
}

/** One commit per change: true for the first caller, false for a replayed copy. */
export function consumeChange(ctx: RequestContext, marker: string): Promise<boolean> {
  return consumeMarker(ctx, marker, tfConfig(ctx.rt).pendingWithinSeconds);
}

/** "Remember this device" (only when alwaysValidate is off): bound to the user's fs_uniquifier. */
const validityCodec = defineCodec({
  purpose: VALIDITY_PURPOSE,
  maxAgeSeconds: (rt) => tfConfig(rt).loginValiditySeconds,
  wire: z.object({ u: z.string() }),
  encode: (v: { user: string }) => ({ u: v.user }),
  decode: (w) => ({ user: w.u }),
});

export function setValidityCookie(ctx: RequestContext, user: UserRecord): void {
  const cfg = tfConfig(ctx.rt);
  ctx.setCookie(validityCookieName(ctx), validityCodec.seal(ctx.rt, { user: user.fsUniquifier }), {
    httpOnly: true,
    secure: ctx.rt.config.session.cookieSecure,
    sameSite: "Strict",
    path: "/",
    maxAge: cfg.loginValiditySeconds,
  });
}

/** A sign-in completed by a second factor: remembered on this device when it asked to be and validation allows it. */
export function rememberDevice(ctx: RequestContext, user: UserRecord, remember: boolean): void {
  if (remember && !tfConfig(ctx.rt).alwaysValidate) setValidityCookie(ctx, user);
}

export function hasValidityCookie(ctx: RequestContext, user: UserRecord): boolean {
  const opened = validityCodec.open(ctx.rt, ctx.cookie(validityCookieName(ctx)));
  return opened.ok && opened.value.user === user.fsUniquifier;
}
