import { z } from "zod";
import { defineCodec } from "../../core/codec.js";
import type { RequestContext } from "../../core/context.js";
import { sha256Hex } from "../../crypto/random.js";
import { sliceOf } from "../../core/config/slice.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import { webauthnSlice } from "./config.js";
import type { PasskeyUsage } from "./store.js";

/**
 * `wan_state`: what a ceremony's first step hands the client and its `<url>/<state>` step reads back — signed,
 * short-lived, and spent once (its challenge is the single-use marker). Nothing is stored until the browser's
 * answer proves itself. A state is only good for the ceremony it was made for: a registration's state does not
 * complete a sign-in.
 */
export type Ceremony = "register" | "signup" | "signin" | "second-factor" | "verify";

export interface CeremonyState {
  ceremony: Ceremony;
  /** The challenge the authenticator must sign (base64url). */
  challenge: string;
  /**
   * Register / verify: the fs_uniquifier of the signed-in user it was handed to (a state is no one else's, and
   * dies with a uniquifier change). Sign-up: the new account's. Sign-in: null.
   */
  uniquifier: string | null;
  /** Register / sign-up: the sanitized name and usage the new credential gets. */
  name: string | null;
  usage: PasskeyUsage | null;
  /** Sign-in: the remember-me intent. */
  remember: boolean;
  /** User verification was required when the options were made: an assertion without it is refused. */
  requireUv: boolean;
  /** Sign-up: the new account's checked email and username (the account is only created at the finish). */
  account?: {
    email: string;
    username: string | null;
    /** The app's registration fields as posted (judged again at the finish by their schemas). */
    fields?: Record<string, unknown>;
  };
}

const ceremony = z.enum(["register", "signup", "signin", "second-factor", "verify"]);

export const ceremonyStateCodec = defineCodec({
  purpose: "wan-state",
  maxAgeSeconds: (rt) => {
    const cfg = sliceOf(rt.config, webauthnSlice);
    // The longer of the two: each ceremony checks its own limit with `expired` below.
    return Math.max(cfg.registerWithinSeconds, cfg.signinWithinSeconds);
  },
  wire: z.object({
    k: ceremony,
    c: z.string().min(16).max(128),
    u: z.string().nullable(),
    // WAN_NAME_MAX_LENGTH (at most 64) counts characters: an astral one is two UTF-16 units.
    n: z.string().max(128).nullable(),
    g: z.enum(["first", "secondary"]).nullable(),
    r: z.boolean(),
    v: z.boolean(),
    a: z
      .object({
        e: z.string().max(320),
        n: z.string().max(255).nullable(),
        f: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
  }),
  encode: (s: CeremonyState) => ({
    k: s.ceremony,
    c: s.challenge,
    u: s.uniquifier,
    n: s.name,
    g: s.usage,
    r: s.remember,
    v: s.requireUv,
    ...(s.account
      ? {
          a: {
            e: s.account.email,
            n: s.account.username,
            ...(s.account.fields && Object.keys(s.account.fields).length ? { f: s.account.fields } : {}),
          },
        }
      : {}),
  }),
  decode: (w): CeremonyState => ({
    ceremony: w.k,
    challenge: w.c,
    uniquifier: w.u,
    name: w.n,
    usage: w.g,
    remember: w.r,
    requireUv: w.v,
    ...(w.a ? { account: { email: w.a.e, username: w.a.n, ...(w.a.f ? { fields: w.a.f } : {}) } } : {}),
  }),
});

/** How long a state of this ceremony is good for (WAN_REGISTER_WITHIN or WAN_SIGNIN_WITHIN). */
export function withinSeconds(ctx: RequestContext, kind: Ceremony): number {
  const cfg = sliceOf(ctx.rt.config, webauthnSlice);
  return kind === "register" || kind === "signup" ? cfg.registerWithinSeconds : cfg.signinWithinSeconds;
}

export type OpenedState =
  | { ok: true; state: CeremonyState }
  /** invalid: not a state of this ceremony (or tampered); expired: older than its ceremony allows. */
  | { ok: false; reason: "invalid" | "expired" };

/** Reads a state handed out for one of `kinds`; does not spend it (see `spendState`). */
export function openState(ctx: RequestContext, token: unknown, kinds: readonly Ceremony[]): OpenedState {
  const opened = ceremonyStateCodec.open(ctx.rt, token);
  if (!opened.ok) return { ok: false, reason: opened.reason };
  if (!kinds.includes(opened.value.ceremony)) return { ok: false, reason: "invalid" };
  const age = Math.floor(ctx.now().getTime() / 1000) - opened.issuedAtSeconds;
  if (age > withinSeconds(ctx, opened.value.ceremony)) return { ok: false, reason: "expired" };
  return { ok: true, state: opened.value };
}

/**
 * Spends a state's challenge: true for the first caller only (of parallel uses of one state exactly one gets
 * past this), so an assertion or attestation is never accepted twice. Call it before the response is judged.
 */
export async function spendState(ctx: RequestContext, state: CeremonyState): Promise<boolean> {
  const key = `wan-challenge:${sha256Hex(state.challenge)}`;
  const ttl = withinSeconds(ctx, state.ceremony) + 60;
  return (await ctx.rt.datastore.attempts.hit(key, ttl, ctx.now())) === 1;
}

export function sealState(ctx: RequestContext, state: CeremonyState): string {
  return ceremonyStateCodec.seal(ctx.rt, state);
}

/** Why a state cannot be used, as every ceremony route answers it. */
export type StateRefusal = { code: "API_ERROR" } | { code: "WEBAUTHN_EXPIRED"; params: { within: string } };

export type TakenState<A> =
  | { ok: true; state: CeremonyState }
  | { ok: false; refusal: StateRefusal }
  /** `check`'s own answer (the state was not spent). */
  | { ok: false; answer: A };

/**
 * Opens and spends a state: one rule for every ceremony route. Forged, of another ceremony, or not the caller's
 * (`check` → "invalid") → API_ERROR; too old, or already used → WEBAUTHN_EXPIRED ("start over", with the
 * ceremony's time limit). `check` runs before the state is spent, so a request it turns away (with "invalid" or
 * an answer of its own) leaves the state usable by its rightful caller.
 */
export async function takeState<A = never>(
  ctx: RequestContext,
  token: unknown,
  kinds: readonly Ceremony[],
  check?: (state: CeremonyState) => Promise<A | "invalid" | undefined> | A | "invalid" | undefined,
): Promise<TakenState<Exclude<A, "invalid" | undefined>>> {
  const expired = (): StateRefusal => ({
    code: "WEBAUTHN_EXPIRED",
    params: { within: humanizeSeconds(withinSeconds(ctx, kinds[0]!)) },
  });
  const opened = openState(ctx, token, kinds);
  if (!opened.ok) return { ok: false, refusal: opened.reason === "expired" ? expired() : { code: "API_ERROR" } };
  const verdict = check ? await check(opened.state) : undefined;
  if (verdict === "invalid") return { ok: false, refusal: { code: "API_ERROR" } };
  if (verdict !== undefined) return { ok: false, answer: verdict as Exclude<A, "invalid" | undefined> };
  if (!(await spendState(ctx, opened.state))) return { ok: false, refusal: expired() };
  return { ok: true, state: opened.state };
}
