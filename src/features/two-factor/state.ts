import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { hostCookieName } from "../../core/cookie-names.js";
import type { Runtime } from "../../core/runtime.js";
import { sha256Hex } from "../../crypto/random.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { twoFactorSlice, type TwoFactorConfig } from "./config.js";

/**
 * Two-factor state between the first and the second factor: a signed cookie `rampart_tf` that names the user
 * (by fs_uniquifier, so a rotated uniquifier kills it), the state, the method, the remember intent and how the
 * first factor was proved — plus, during setup, the NEW secret sealed with TOTP_SECRETS. It grants nothing by
 * itself: only the two-factor routes read it.
 */
export const PENDING_COOKIE = "rampart_tf";
const PENDING_PURPOSE = "tf-pending";
const VALIDITY_PURPOSE = "tf-validity";

export type TfState = "setup_from_login" | "ready" | "validating_profile" | "select";

export interface PendingState {
  /** fs_uniquifier of the user. */
  u: string;
  s: TfState;
  /** Method being validated (ready: the chosen second factor; validating_profile: the one being set up; select: null). */
  m: string | null;
  r: boolean;
  v: string[];
  /** Sealed new secret (setup only). */
  t?: string;
  /** Phone number being set up (sms). */
  p?: string;
  /** Nonce of the code sent for this attempt (email/sms). */
  n?: number;
  /** Rescue: a code was mailed instead of the primary method (m is then "email"). */
  e?: boolean;
  /**
   * A signed-in user changing their method (FS "changing"): only that signed-in user may complete it, and
   * only while their method is still `o` (the one it was started against; absent = none).
   */
  c?: boolean;
  o?: string;
}

export { secretBox } from "../../core/passcodes/index.js";

export function tfConfig(rt: Runtime): TwoFactorConfig {
  return sliceOf(rt.config, twoFactorSlice) as TwoFactorConfig;
}

function cookieBase(ctx: RequestContext) {
  return { httpOnly: true, secure: ctx.rt.config.session.cookieSecure, sameSite: "Lax", path: "/" } as const;
}

/** The pending-login cookie: `__Host-rampart_tf` on Secure deployments. */
function pendingCookie(ctx: RequestContext): string {
  return hostCookieName(ctx.rt.config, PENDING_COOKIE);
}

function validityCookieName(ctx: RequestContext): string {
  return tfConfig(ctx.rt).validityCookieName ?? hostCookieName(ctx.rt.config, "tf_validity");
}

export function setPending(ctx: RequestContext, state: PendingState): void {
  const token = ctx.rt.signer.sign(PENDING_PURPOSE, { ...state }, ctx.nowSeconds());
  ctx.setCookie(pendingCookie(ctx), token, { ...cookieBase(ctx), maxAge: tfConfig(ctx.rt).pendingWithinSeconds });
}

export function clearPending(ctx: RequestContext): void {
  ctx.deleteCookie(pendingCookie(ctx), cookieBase(ctx));
}

const STATES: readonly string[] = ["setup_from_login", "ready", "validating_profile", "select"];

/** A pending state read from the request: `marker` is its cookie's single-use key (see consumePending). */
export interface Pending {
  state: PendingState;
  user: UserRecord;
  marker: string;
}

/** The pending state from the request's cookie, with its user; null when absent, expired, tampered or stale. */
export async function readPending(ctx: RequestContext): Promise<Pending | null> {
  const raw = ctx.cookie(pendingCookie(ctx));
  if (!raw) return null;
  const verified = ctx.rt.signer.verify(PENDING_PURPOSE, raw, {
    maxAgeSeconds: tfConfig(ctx.rt).pendingWithinSeconds,
    nowSeconds: ctx.nowSeconds(),
  });
  if (!verified.ok) return null;
  const p = verified.payload;
  if (typeof p.u !== "string" || typeof p.s !== "string" || !STATES.includes(p.s)) return null;
  const user = await ctx.rt.datastore.users.findByUniquifier(p.u);
  if (!user || !user.active) return null;
  const state: PendingState = {
    u: p.u,
    s: p.s as TfState,
    m: typeof p.m === "string" ? p.m : null,
    r: p.r === true,
    v: Array.isArray(p.v) ? p.v.filter((x): x is string => typeof x === "string") : [],
  };
  if (typeof p.t === "string") state.t = p.t;
  if (typeof p.p === "string") state.p = p.p;
  if (typeof p.n === "number" && Number.isInteger(p.n)) state.n = p.n;
  if (p.e === true) state.e = true;
  if (p.c === true) state.c = true;
  if (typeof p.o === "string") state.o = p.o;
  return { state, user, marker: verified.marker };
}

/**
 * Marks the pending cookie as used (one successful validation per login attempt): true for the first caller,
 * false when this very cookie already completed a sign-in (a replayed copy). Keyed by the signer's marker
 * (the verified signature's bytes), never by the cookie's text, so a copy spelled differently is the same.
 */
export async function consumePending(ctx: RequestContext, pending: Pending): Promise<boolean> {
  const key = `tf-pending:${sha256Hex(pending.marker)}`;
  return (await ctx.rt.datastore.attempts.hit(key, tfConfig(ctx.rt).pendingWithinSeconds + 60, ctx.now())) === 1;
}

/** A pending sign-in that is setting up its method (not a signed-in user's change). */
export function isLoginSetup(state: PendingState): boolean {
  return !state.c && (state.s === "setup_from_login" || state.s === "validating_profile");
}

/** The user's configured code method, or null when 2FA is not set up for them. */
export function primaryMethod(user: UserRecord): string | null {
  return user.tfPrimaryMethod && user.tfTotpSecret ? user.tfPrimaryMethod : null;
}

/** "Remember this device" (only when alwaysValidate is off): bound to the user's fs_uniquifier. */
export function setValidityCookie(ctx: RequestContext, user: UserRecord): void {
  const cfg = tfConfig(ctx.rt);
  const token = ctx.rt.signer.sign(VALIDITY_PURPOSE, { u: user.fsUniquifier }, ctx.nowSeconds());
  ctx.setCookie(validityCookieName(ctx), token, {
    httpOnly: true,
    secure: ctx.rt.config.session.cookieSecure,
    sameSite: "Strict",
    path: "/",
    maxAge: cfg.loginValiditySeconds,
  });
}

export function hasValidityCookie(ctx: RequestContext, user: UserRecord): boolean {
  const cfg = tfConfig(ctx.rt);
  const raw = ctx.cookie(validityCookieName(ctx));
  if (!raw) return false;
  const verified = ctx.rt.signer.verify(VALIDITY_PURPOSE, raw, {
    maxAgeSeconds: cfg.loginValiditySeconds,
    nowSeconds: ctx.nowSeconds(),
  });
  return verified.ok && verified.payload.u === user.fsUniquifier;
}
