import { randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { defineCodec } from "../../core/codec.js";
import type { RequestContext } from "../../core/context.js";
import { hostCookieName } from "../../core/cookie-names.js";
import { sliceOf } from "../../core/config/slice.js";
import { sha256Hex } from "../../crypto/random.js";
import { oauthSlice } from "./config.js";
import type { FlowSecrets } from "./providers/types.js";

/**
 * A started provider sign-in, kept in the browser that started it: a signed HttpOnly cookie holding the `state`
 * sent to the provider, the OIDC nonce, the PKCE verifier (which never leaves this server and this browser), the
 * provider and what the flow is for. The callback is accepted only with this cookie, from the provider named in
 * it, with the same `state`, within RAMPART_OAUTH_STATE_WITHIN, and once. The cookie is its own kind of signed
 * value: no other token Rampart issues (a magic link, a reset or confirmation link) opens as one, nor it as them.
 */
export type FlowPurpose = "login" | "verify" | "link";

export interface OAuthFlow extends FlowSecrets {
  purpose: FlowPurpose;
  provider: string;
  /** verify / link: the fs_uniquifier of the signed-in user who started it (the flow is no one else's). */
  uniquifier: string | null;
  /** The validated `next` given at the start (a same-origin path or allowed URL), or null. */
  next: string | null;
  remember: boolean;
}

/**
 * One cookie per started flow, named after its state (`rampart_oauth_<16 hex of sha256(state)>`, with the
 * __Host- prefix when Secure): two flows in one browser (two tabs, a link beside a re-authentication) do not
 * overwrite each other, and a callback finds its own flow by the state it brings.
 */
const COOKIE_PREFIX = "rampart_oauth_";
/** Flows kept at once in one browser; a further start drops the oldest (the rest expire by Max-Age). */
const MAX_FLOWS = 4;

const flowCodec = defineCodec({
  purpose: "oauth-flow",
  maxAgeSeconds: (rt) => sliceOf(rt.config, oauthSlice).stateWithinSeconds,
  wire: z.object({
    k: z.enum(["login", "verify", "link"]),
    p: z.string().max(32),
    s: z.string().min(32).max(128),
    n: z.string().min(32).max(128),
    v: z.string().min(43).max(128),
    r: z.string().max(2048),
    u: z.string().max(255).nullable(),
    x: z.string().max(2048).nullable(),
    m: z.boolean(),
  }),
  encode: (f: OAuthFlow) => ({
    k: f.purpose,
    p: f.provider,
    s: f.state,
    n: f.nonce,
    v: f.codeVerifier,
    r: f.redirectUri,
    u: f.uniquifier,
    x: f.next,
    m: f.remember,
  }),
  decode: (w): OAuthFlow => ({
    purpose: w.k,
    provider: w.p,
    state: w.s,
    nonce: w.n,
    codeVerifier: w.v,
    redirectUri: w.r,
    uniquifier: w.u,
    next: w.x,
    remember: w.m,
  }),
});

const random = () => randomBytes(32).toString("base64url");

/** New secrets for a flow: 256-bit state, nonce and PKCE verifier. */
export function newSecrets(redirectUri: string): FlowSecrets {
  return { state: random(), nonce: random(), codeVerifier: random(), redirectUri };
}

const prefixOf = (ctx: RequestContext) => hostCookieName(ctx.rt.config, COOKIE_PREFIX);
const cookieNameOf = (ctx: RequestContext, state: string) => `${prefixOf(ctx)}${sha256Hex(state).slice(0, 16)}`;

/** The flow cookies this browser sent. */
function flowCookieNames(ctx: RequestContext): string[] {
  const prefix = prefixOf(ctx);
  return ctx.cookieNames().filter((n) => n.startsWith(prefix) && /^[0-9a-f]{16}$/.test(n.slice(prefix.length)));
}

const dropCookie = (ctx: RequestContext, name: string) =>
  ctx.deleteCookie(name, { path: "/", secure: ctx.rt.config.session.cookieSecure });

/**
 * Starts a flow in this browser, beside its other unfinished ones: cookies that no longer open (expired) are
 * removed, and of the live ones only the newest MAX_FLOWS - 1 are kept, so the browser's cookies stay bounded.
 */
export function keepFlow(ctx: RequestContext, flow: OAuthFlow): void {
  const live: { name: string; at: number }[] = [];
  for (const name of flowCookieNames(ctx)) {
    const opened = flowCodec.open(ctx.rt, ctx.cookie(name));
    if (opened.ok) live.push({ name, at: opened.issuedAtSeconds });
    else dropCookie(ctx, name);
  }
  live.sort((a, b) => b.at - a.at);
  for (const old of live.slice(MAX_FLOWS - 1)) dropCookie(ctx, old.name);
  ctx.setCookie(cookieNameOf(ctx, flow.state), flowCodec.seal(ctx.rt, flow), {
    httpOnly: true,
    secure: ctx.rt.config.session.cookieSecure,
    // Lax: the provider sends the browser back with a top-level GET from its own site.
    sameSite: "Lax",
    path: "/",
    maxAge: sliceOf(ctx.rt.config, oauthSlice).stateWithinSeconds,
  });
}

export type TakenFlow =
  | { ok: true; flow: OAuthFlow }
  /**
   * missing: no flow cookie (another browser, or cookies blocked); invalid: forged, of another provider or
   * purpose, or a `state` that is not this browser's; expired: too old; replayed: this flow was completed already.
   */
  | { ok: false; reason: "missing" | "invalid" | "expired" | "replayed" };

/**
 * The callback's one rule: the browser's flow for the `state` the provider returned (its cookie is found by that
 * state), for this provider and one of `purposes`; spent once (of parallel callbacks exactly one gets past). Only
 * a flow that matches is cleared: a stray or forged callback (any site can navigate the browser to the return
 * route with some state) must not end a sign-in in progress. A cookie that no longer opens is cleared too.
 */
export async function takeFlow(
  ctx: RequestContext,
  provider: string,
  purposes: readonly FlowPurpose[],
  state: string | null,
): Promise<TakenFlow> {
  if (flowCookieNames(ctx).length === 0) return { ok: false, reason: "missing" };
  // A state none of this browser's flows was started with.
  if (!state) return { ok: false, reason: "invalid" };
  const name = cookieNameOf(ctx, state);
  const raw = ctx.cookie(name);
  if (!raw) return { ok: false, reason: "invalid" };
  const opened = flowCodec.open(ctx.rt, raw);
  if (!opened.ok) {
    dropCookie(ctx, name);
    return { ok: false, reason: opened.reason };
  }
  const flow = opened.value;
  if (flow.provider !== provider || !purposes.includes(flow.purpose) || !sameText(flow.state, state))
    return { ok: false, reason: "invalid" };
  dropCookie(ctx, name);
  const ttl = sliceOf(ctx.rt.config, oauthSlice).stateWithinSeconds + 60;
  const first = (await ctx.rt.datastore.attempts.hit(`oauth-state:${sha256Hex(flow.state)}`, ttl, ctx.now())) === 1;
  return first ? { ok: true, flow } : { ok: false, reason: "replayed" };
}

function sameText(a: string, b: string | null): boolean {
  if (b === null) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
