import { attachRemoteAddress, remoteAddress, RequestContext } from "./context.js";
import { isUnsafeMethod } from "./csrf.js";
import { enforce, unauthorized } from "./enforce.js";
import { DependencyUnavailableError } from "./errors.js";
import type { Mechanism } from "./identity.js";
import { guardedAnswerHeaders } from "./http/respond.js";
import type { OutageRole } from "./outage-snapshot.js";
import { render, renderError } from "./render.js";
import type { Runtime } from "./runtime.js";
import { publicUser, type PublicUser, type UserFields } from "./public-user.js";
import { callerAuthentication, type CallerAuthentication } from "./tokens/caller-auth.js";

/**
 * Framework-neutral guards. A requirement says which mechanisms may authenticate, how fresh the
 * authentication must be, and which roles/permissions are needed; `check` answers with the user or with the
 * refusal Response (JSON 401/403, or a redirect to the login/verify page for HTML callers). The decision is the
 * same one Rampart's own routes make (enforce.ts): unsafe methods pass the cross-site check, and those
 * authenticated by a CSRF-protected mechanism must carry a CSRF token.
 */
export interface Requirement {
  mechanisms?: Mechanism[];
  /** Freshness window in seconds (FS `within`); negative disables. */
  withinSeconds?: number;
  rolesRequired?: string[];
  rolesAccepted?: string[];
  permissionsRequired?: string[];
  permissionsAccepted?: string[];
  /** Check CSRF on unsafe methods (default true). */
  csrf?: boolean;
}

/** Methods that change nothing: only these may be public in a method rule, so a public request never needs CSRF. */
export type SafeMethod = "GET" | "HEAD" | "OPTIONS";
export type UnsafeMethod = "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * HEAD is answered by the GET handler (Hono, Express, Fastify, most routers), so it may never be weaker than GET:
 * it takes GET's rule, and has a rule of its own only when GET is public (any rule is then at least as strict).
 */
type HeadFollowsGet = { GET: "public"; HEAD?: Requirement | "public" } | { GET?: Requirement; HEAD?: never };

/**
 * Per-method rules for one route (as Eve's public methods): each method its own requirement, safe methods may be
 * "public" (the guard steps aside: no caller is looked up), and `default` covers every method not named.
 */
export type MethodRules = { OPTIONS?: Requirement | "public" } & { [M in UnsafeMethod]?: Requirement } & {
  default: Requirement;
} & HeadFollowsGet;

/**
 * `user` is the public view of the caller (never the database row: no hash, uniquifiers or second-factor
 * secrets). `roles` and `permissions` are present only when the requirement names roles or permissions: only
 * then are they read from the datastore (a plain sign-in check skips that query on every request).
 */
export type GuardOutcome<F extends UserFields = UserFields> =
  | {
      ok: true;
      user: PublicUser<F>;
      mechanism: Mechanism;
      /** How the caller authenticated: "jwt" is the token mechanism with a JWT access token. */
      via: CallerAuthentication["via"];
      /** When the presented access token stops working (token and jwt callers); null otherwise. */
      tokenExpiresAt: Date | null;
      /** Authentication methods proved (RFC 8176: "pwd", "otp", "mfa"…); HTTP basic is ["pwd"]. */
      amr: string[];
      /** Primary authentication time; null when unknown (a session restored from a remember cookie). */
      authenticatedAt: Date | null;
      roles?: string[];
      permissions?: string[];
      setCookies: string[];
      /**
       * Headers for the app's answer (baseline, CORS, framing): the adapters add each one the app has not set
       * itself; an app calling `check` directly should do the same.
       */
      headers: Record<string, string>;
    }
  | { ok: false; response: Response };

export interface Guards<F extends UserFields = UserFields> {
  check(request: Request, requirement?: Requirement): Promise<GuardOutcome<F>>;
  loginRequired(): Requirement;
  authRequired(...args: (Mechanism | { within?: number })[]): Requirement;
  rolesRequired(...roles: string[]): Requirement;
  rolesAccepted(...roles: string[]): Requirement;
  permissionsRequired(...permissions: string[]): Requirement;
  permissionsAccepted(...permissions: string[]): Requirement;
  freshRequired(withinSeconds: number): Requirement;
  /** Checks the rules (typed: only safe methods may be "public"); adapters apply them with their `methodRules`. */
  methodRules(rules: MethodRules): MethodRules;
  /** The rule for a request method: its own, else `default`; HEAD: GET's rule unless GET is public. */
  ruleFor(method: string, rules: MethodRules): Requirement | "public";
}

export function createGuards(rt: Runtime): Guards {
  async function check(request: Request, requirement: Requirement = {}): Promise<GuardOutcome> {
    // Guards may need a CSRF field from a form body: read it from a clone so the app still gets its body.
    const ctx = new RequestContext(
      rt,
      isUnsafeMethod(request.method) ? attachRemoteAddress(request.clone(), remoteAddress(request)) : request,
    );
    // While the database is down, a read may be proved by the session store alone (see session-cookies.ts).
    ctx.outageAccess = "read";
    try {
      return await decide(ctx, requirement);
    } catch (error) {
      return { ok: false, response: await renderError(ctx, error) };
    }
  }

  async function decide(ctx: RequestContext, req: Requirement): Promise<GuardOutcome> {
    const mechanisms = req.mechanisms ?? rt.config.apiEnabledMethods;
    const auth: "fresh" | "authenticated" = req.withinSeconds !== undefined ? "fresh" : "authenticated";
    const enforced = await enforce(ctx, {
      auth,
      mechanisms,
      withinSeconds: req.withinSeconds,
      csrfExempt: req.csrf === false,
    });
    if (!enforced.ok) return { ok: false, response: await render(ctx, enforced.refusal) };
    const { caller } = enforced;
    const done = {
      ok: true as const,
      mechanism: caller.mechanism,
      ...callerAuthentication(caller),
      setCookies: ctx.setCookies,
      headers: guardedAnswerHeaders(ctx),
    };
    if (!needsRoles(req)) return { ...done, user: publicUser(caller.user, rt.userFields) };
    const roles = caller.outage
      ? outageRoles(caller.outage.roles)
      : await rt.datastore.roles.rolesOfUser(caller.user.id);
    const roleNames = roles.map((r) => r.name);
    const permissions = [...new Set(roles.flatMap((r) => r.permissions))];
    const all = (need: string[] | undefined, have: string[]) => !need || need.every((n) => have.includes(n));
    const any = (need: string[] | undefined, have: string[]) =>
      !need || need.length === 0 || need.some((n) => have.includes(n));
    const allowed =
      all(req.rolesRequired, roleNames) &&
      any(req.rolesAccepted, roleNames) &&
      all(req.permissionsRequired, permissions) &&
      any(req.permissionsAccepted, permissions);
    if (!allowed) return { ok: false, response: await render(ctx, unauthorized(ctx)) };
    return {
      ...done,
      user: publicUser(caller.user, rt.userFields, { roles: roleNames, permissions }),
      roles: roleNames,
      permissions,
    };
  }

  return {
    check,
    loginRequired: () => ({}),
    authRequired: (...args) => {
      const mechanisms = args.filter((a): a is Mechanism => typeof a === "string");
      const options = args.find((a): a is { within?: number } => typeof a === "object") ?? {};
      return {
        ...(mechanisms.length ? { mechanisms } : {}),
        ...(options.within !== undefined ? { withinSeconds: options.within } : {}),
      };
    },
    rolesRequired: (...roles) => ({ rolesRequired: roles }),
    rolesAccepted: (...roles) => ({ rolesAccepted: roles }),
    permissionsRequired: (...permissions) => ({ permissionsRequired: permissions }),
    permissionsAccepted: (...permissions) => ({ permissionsAccepted: permissions }),
    freshRequired: (withinSeconds) => ({ withinSeconds }),
    methodRules: (rules) => {
      // Typed already; checked again for apps written in JavaScript: an unsafe method is never public.
      for (const [method, rule] of Object.entries(rules))
        if (rule === "public" && !SAFE.has(method))
          throw new TypeError(`${method} cannot be public: only GET, HEAD, OPTIONS`);
      if (Object.hasOwn(rules, "HEAD") && ownRule(rules, "GET") !== "public")
        throw new TypeError("HEAD runs the GET handler: it takes GET's rule, and has its own only when GET is public");
      return rules;
    },
    ruleFor,
  };
}

const SAFE = new Set<string>(["GET", "HEAD", "OPTIONS"]);

function ownRule(rules: MethodRules, method: string): Requirement | "public" | undefined {
  return Object.hasOwn(rules, method)
    ? (rules as Record<string, Requirement | "public" | undefined>)[method]
    : undefined;
}

function ruleFor(method: string, rules: MethodRules): Requirement | "public" {
  const upper = method.toUpperCase();
  if (upper === "HEAD") {
    // The GET handler answers HEAD: a guarded GET guards HEAD the same way, whatever a JavaScript caller passed.
    const get = ownRule(rules, "GET") ?? rules.default;
    return get === "public" ? (ownRule(rules, "HEAD") ?? get) : get;
  }
  const rule = ownRule(rules, upper) ?? rules.default;
  // An unsafe method is never public, whatever a JavaScript caller passed.
  return rule === "public" && !SAFE.has(upper) ? {} : rule;
}

function needsRoles(req: Requirement): boolean {
  return (
    req.rolesRequired !== undefined ||
    req.rolesAccepted !== undefined ||
    req.permissionsRequired !== undefined ||
    req.permissionsAccepted !== undefined
  );
}

/** Roles kept with the session, during a database outage; none kept yet: the answer is 503. */
function outageRoles(roles: OutageRole[] | null): OutageRole[] {
  if (!roles) throw new DependencyUnavailableError("database", new Error("no roles kept with the session"));
  return roles;
}
