import type { SessionRecord, UserRecord } from "../datastore/contracts.js";
import { recordAudit } from "./audit.js";
import { issueAuthToken } from "./auth-tokens.js";
import { proveMailbox, signInProvesMailbox } from "./mailbox-proof.js";
import type { RequestContext } from "./context.js";
import type { Caller } from "./identity.js";
import type { MessageKey } from "./messages.js";
import type { AuthnMethod, SecondFactorMethod } from "./methods.js";
import { startSession } from "./session-cookies.js";

/**
 * The ONE sign-in pipeline. Every way of proving a first factor (password, code, link, passkey, OAuth,
 * registration, basic auth per request) ends here. Registered checks run in order and may deny (a form error)
 * or interrupt (e.g. "second factor required": a 200 payload that logs nobody in). Only when every check
 * continues does the pipeline create a session (rotating any previous one) and, if asked, an auth token.
 */
export interface SignInAttempt {
  user: UserRecord;
  /** How the first factor was proved: "password", "basic", "email", "webauthn", ... */
  authnVia: AuthnMethod[];
  remember: boolean;
  /** "session": establish a session/token. "request": per-request auth (basic) that makes nothing. */
  kind: "session" | "request";
  /**
   * The second factor this attempt already proved ("authenticator", "email", "sms", "recovery_code", …). Set
   * only by the feature that verified it, when completing a pending sign-in: the second-factor check then
   * continues, while every other check (active, confirmed, lockout) runs again at completion time.
   */
  secondFactor?: SecondFactorMethod;
  /**
   * The first factor already counts as multi-factor by configuration (unified sign-in with a method outside
   * US_MFA_REQUIRED, e.g. an authenticator or SMS code): the second-factor check does not apply. Set only by the
   * feature that verified that method.
   */
  firstFactorIsMultiFactor?: boolean;
}

export type CheckOutcome =
  | { kind: "continue" }
  | { kind: "deny"; code: MessageKey; field: string; status?: number; params?: Record<string, string | number> }
  | { kind: "interrupt"; status?: number; response: Record<string, unknown>; redirect?: string };

/** An interruption whose next step has a page: browsers are sent to `redirect`, API callers get `response`. */
export function interruptTo(response: Record<string, unknown>, redirect: string, status?: number): CheckOutcome {
  return { kind: "interrupt", response, redirect, ...(status ? { status } : {}) };
}

export interface SignInCheck {
  /** For diagnostics and ordering ("active", "confirmed", "lockout", "two-factor", ...). */
  name: string;
  run(ctx: RequestContext, attempt: SignInAttempt): Promise<CheckOutcome>;
}

export type SignInResult =
  | Exclude<CheckOutcome, { kind: "continue" }>
  | { kind: "signed-in"; user: UserRecord; session: SessionRecord; authToken: string | null };

/** Built in: inactive users never sign in. */
export const activeCheck: SignInCheck = {
  name: "active",
  async run(_ctx, attempt) {
    return attempt.user.active ? { kind: "continue" } : { kind: "deny", code: "DISABLED_ACCOUNT", field: "email" };
  },
};

export class SignInPipeline {
  private readonly checks: SignInCheck[] = [activeCheck];

  /** Features register their checks at startup. A check name may be registered once. */
  register(check: SignInCheck): void {
    if (this.checks.some((c) => c.name === check.name))
      throw new TypeError(`sign-in check "${check.name}" registered twice`);
    this.checks.push(check);
  }

  names(): string[] {
    return this.checks.map((c) => c.name);
  }

  /** Runs every check; used directly by per-request mechanisms (basic auth). */
  async check(ctx: RequestContext, attempt: SignInAttempt): Promise<CheckOutcome> {
    for (const check of this.checks) {
      const outcome = await check.run(ctx, attempt);
      if (outcome.kind !== "continue") {
        if (outcome.kind === "deny") {
          await recordAudit(ctx, {
            event: "login",
            outcome: "failure",
            user: attempt.user,
            details: { reason: outcome.code, check: check.name, via: attempt.authnVia },
          });
        }
        return outcome;
      }
    }
    return { kind: "continue" };
  }

  async signIn(ctx: RequestContext, attempt: SignInAttempt & { includeAuthToken: boolean }): Promise<SignInResult> {
    const outcome = await this.check(ctx, attempt);
    if (outcome.kind !== "continue") return outcome;
    const { rt } = ctx;
    // A first proof of the mailbox by an emailed code strips what predates it, only now that every check (the
    // second factor included) let the sign-in through.
    if (attempt.kind === "session" && !attempt.user.confirmedAt && signInProvesMailbox(attempt.authnVia)) {
      const proof = await proveMailbox(ctx, attempt.user, "signin", { password: false, rotate: true });
      attempt = { ...attempt, user: proof.user };
    }
    const now = ctx.now();
    const session = await startSession(ctx, attempt.user, {
      remember: attempt.remember,
      // The session records the second factor it proved ("tf:<method>"): two-factor changes require it (SECURITY I72).
      authnVia: attempt.secondFactor ? [...attempt.authnVia, `tf:${attempt.secondFactor}`] : attempt.authnVia,
      authenticatedAt: now,
      mfaProof: attempt.secondFactor
        ? { kind: "second-factor", method: attempt.secondFactor }
        : attempt.firstFactorIsMultiFactor
          ? { kind: "multi-factor-sign-in", method: (attempt.authnVia[0] ?? "") as AuthnMethod }
          : null,
    });
    const caller: Caller = {
      user: attempt.user,
      mechanism: "session",
      session,
      authenticatedAtSeconds: Math.floor(now.getTime() / 1000),
    };
    ctx.sessionOverride = { caller };
    if (rt.config.trackable) await trackLogin(ctx, attempt.user);
    const authToken = attempt.includeAuthToken
      ? await issueAuthToken(rt, attempt.user, caller.authenticatedAtSeconds)
      : null;
    await recordAudit(ctx, {
      event: "login",
      outcome: "success",
      user: attempt.user,
      details: { via: attempt.authnVia, session: session.id },
    });
    await rt.events.emit("user_authenticated", {
      user: attempt.user,
      authnVia: attempt.authnVia,
      sessionId: session.id,
    });
    return { kind: "signed-in", user: attempt.user, session, authToken };
  }
}

async function trackLogin(ctx: RequestContext, user: UserRecord): Promise<void> {
  await ctx.rt.datastore.users.recordLogin(user.id, ctx.now(), ctx.clientIp());
}
