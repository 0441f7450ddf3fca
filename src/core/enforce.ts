import type { RequestContext } from "./context.js";
import { crossSiteRefused, csrfRequired, isUnsafeMethod, verifyCsrf } from "./csrf.js";
import { authenticate, isFresh, type Caller, type Mechanism } from "./identity.js";
import type { Refused } from "./outcome.js";
import type { UserRecord } from "../datastore/contracts.js";
import type { ReauthOffer } from "./services.js";
import { presentedAsBearer } from "./tokens/presented.js";

/**
 * The one check of who may call what, shared by Rampart's own routes and the guards an app puts on its routes:
 * authentication by the allowed mechanisms, freshness, anonymous-only endpoints, the cross-site check and CSRF
 * on unsafe methods, then roles and permissions. It answers with the caller or with the refusal to render.
 */
export type RouteAuth = "any" | "anonymous-only" | "authenticated" | "fresh";

export interface Requirement {
  auth: RouteAuth;
  mechanisms: readonly Mechanism[];
  /** Freshness window for `fresh` (seconds); default the configured one. */
  withinSeconds?: number;
  /** Skip CSRF (only for endpoints that change nothing a third party could abuse). */
  csrfExempt?: boolean;
}

export type Enforced<C extends Caller | null = Caller | null> =
  { ok: true; caller: C } | { ok: false; refusal: Refused };

/** A requirement that needs a caller answers with one (typed: no assertion at the call site). */
export function enforce(
  ctx: RequestContext,
  req: Requirement & { auth: "authenticated" | "fresh" },
): Promise<Enforced<Caller>>;
export function enforce(ctx: RequestContext, req: Requirement): Promise<Enforced>;
export async function enforce(ctx: RequestContext, req: Requirement): Promise<Enforced> {
  const { config } = ctx.rt;
  const caller = await authenticate(ctx, req.mechanisms);
  const needsCaller = req.auth === "authenticated" || req.auth === "fresh";
  if (needsCaller && !caller)
    return deny(await bearerChallenge(ctx, req.mechanisms, unauthenticated(ctx, req.mechanisms)));
  if (req.auth === "fresh" && caller && !(await isFresh(ctx, caller, req.withinSeconds)))
    return deny(await reauthRequired(ctx, caller.user));
  const unsafe = isUnsafeMethod(ctx.request.method);
  if (req.auth === "anonymous-only" && caller && unsafe) {
    return deny({
      kind: "refused",
      refs: [{ code: "ANONYMOUS_USER_REQUIRED" }],
      status: 400,
      browser: { redirect: config.urls.postLoginView },
    });
  }
  if (unsafe && !req.csrfExempt) {
    if (crossSiteRefused(ctx, caller)) return deny({ kind: "refused", refs: [{ code: "CSRF_ORIGIN" }], status: 403 });
    const unauthEndpoint = req.auth === "any" || req.auth === "anonymous-only";
    if (csrfRequired(ctx, caller, unauthEndpoint)) {
      const failure = await verifyCsrf(ctx);
      if (failure) {
        const text = ctx.rt.message(failure);
        return deny({
          kind: "refused",
          refs: [{ code: failure }],
          status: 400,
          extra: { field_errors: { csrf_token: [text] } },
          browser: { back: ctx.url.pathname },
        });
      }
    }
  }
  return { ok: true, caller };
}

function deny(refusal: Refused): Enforced {
  return { ok: false, refusal };
}

/** The original URL made relative, for `next` (never an absolute URL). */
function relativeOriginal(ctx: RequestContext): string {
  return ctx.url.pathname + ctx.url.search;
}

/** 401 for API callers (with a Basic challenge when basic auth is allowed), the login page for browsers. */
export function unauthenticated(ctx: RequestContext, mechanisms: readonly Mechanism[]): Refused {
  const { config } = ctx.rt;
  const basic = mechanisms.includes("basic");
  const headers: Record<string, string> = basic
    ? { "www-authenticate": `Basic realm="${config.httpAuthRealm.replace(/["\\]/g, "")}"` }
    : {};
  const refusal: Refused = { kind: "refused", refs: [{ code: "UNAUTHENTICATED" }], status: 401, headers };
  // A Basic-only endpoint answers the challenge to browsers too, so they can prompt for credentials.
  if (basic && mechanisms.length === 1) return { ...refusal, browser: { json: true } };
  return {
    ...refusal,
    browser: { redirect: ctx.rt.url(config.urls.login) + "?next=" + encodeURIComponent(relativeOriginal(ctx)) },
  };
}

/**
 * A Bearer token that did not authenticate (bad, expired, revoked) gets RFC 6750's `invalid_token` challenge, so
 * an OAuth-style client knows to renew its token rather than ask for credentials. No token: no Bearer challenge.
 */
async function bearerChallenge(
  ctx: RequestContext,
  mechanisms: readonly Mechanism[],
  refusal: Refused,
): Promise<Refused> {
  if (!mechanisms.includes("token") || !(await presentedAsBearer(ctx))) return refusal;
  const challenge = 'Bearer error="invalid_token"';
  const prior = refusal.headers?.["www-authenticate"];
  return {
    ...refusal,
    headers: { ...refusal.headers, "www-authenticate": prior ? `${prior}, ${challenge}` : challenge },
  };
}

/** 403 for API callers; browsers go to UNAUTHORIZED_VIEW or see a short page. */
export function unauthorized(ctx: RequestContext): Refused {
  const view = ctx.rt.config.urls.unauthorizedView;
  return {
    kind: "refused",
    refs: [{ code: "UNAUTHORIZED" }],
    status: 403,
    ...(view ? { browser: { redirect: view } } : {}),
  };
}

/**
 * 401 with `reauth_required` for API callers (and what else could re-authenticate them), the verify page for
 * browsers. Features that add a way to re-authenticate (passkeys, OAuth) contribute their keys; some depend on
 * the user (whether they hold a passkey), hence `user`.
 */
export async function reauthRequired(ctx: RequestContext, user: UserRecord): Promise<Refused> {
  const choices = ctx.rt.services.reauthChoices ?? [];
  const page = choices.find((c) => c.verifyUrl)?.verifyUrl ?? ctx.rt.config.urls.verify;
  const verify = ctx.rt.url(page) + "?next=" + encodeURIComponent(relativeOriginal(ctx));
  const offered = Object.assign({}, ...choices.map((c) => c.required ?? {}));
  const { keys } = await reauthOffers(ctx, user);
  return {
    kind: "refused",
    refs: [{ code: "REAUTHENTICATION_REQUIRED" }],
    status: 401,
    extra: { reauth_required: true, unified_signin_enabled: false, ...FORM_DEFAULTS, ...offered, ...keys },
    browser: { redirect: verify },
  };
}

/**
 * What Flask-Security's clients read to choose how to re-authenticate, with the value meaning "not offered";
 * features that offer a way set their own keys (`reauthChoices`).
 */
const FORM_DEFAULTS = { has_webauthn_verify_credential: false, oauth_enabled: false, oauth_providers: [] as string[] };

/** The re-authentication form's payload keys (GET /verify, /us-verify) for this user. */
export async function reauthExtras(ctx: RequestContext, user: UserRecord): Promise<Record<string, unknown>> {
  const fixed = Object.assign({}, ...(ctx.rt.services.reauthChoices ?? []).map((c) => c.form ?? {}));
  return { ...FORM_DEFAULTS, ...fixed, ...(await reauthOffers(ctx, user)).keys };
}

/** The user's own ways to re-authenticate besides the page they are on: keys and links, from every feature. */
export async function reauthOffers(
  ctx: RequestContext,
  user: UserRecord,
): Promise<{ keys: Record<string, unknown>; links: { href: string; label: string }[] }> {
  const offers = await Promise.all(
    (ctx.rt.services.reauthChoices ?? []).map((c): ReauthOffer | Promise<ReauthOffer> => c.forUser?.(user) ?? {}),
  );
  return {
    keys: Object.assign({}, ...offers.map((o) => o.keys ?? {})),
    links: offers.flatMap((o) => (o.link ? [o.link] : [])),
  };
}
