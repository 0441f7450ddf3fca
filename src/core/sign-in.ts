import type { MfaProof, SessionRecord, UserRecord } from "../datastore/contracts.js";
import { recordAudit, requestAudit } from "./audit.js";
import { forgetFailures } from "./lockout/lockout.js";
import { issueTokens, type IssuedTokens } from "./tokens/issue.js";
import { proveMailbox, signInProvesMailbox } from "./mailbox-proof.js";
import type { RequestContext } from "./context.js";
import type { MessageKey } from "./messages.js";
import {
  clearPendingCookie,
  consumePendingOnce,
  loadPending,
  loadedFrom,
  storePending,
  type PendingSignIn,
  type PendingStepSpec,
} from "./pending-sign-in.js";
import { verifyCredential, type CredentialCheck } from "./verify-credential.js";
import { beginSignInSession } from "./session-writer.js";
import type { AuthnMethod, SecondFactorMethod } from "./methods.js";

/**
 * The ONE sign-in pipeline. Every way of proving a first factor (password, code, link, passkey, OAuth,
 * registration, basic auth per request) ends here. Registered checks run in order and may deny (a form error)
 * or interrupt (e.g. "second factor required": a 200 payload that logs nobody in). Only when every check
 * continues does the pipeline create a session (rotating any previous one) and, if asked, an auth token.
 *
 * An interruption that carries a step (`pending`) leaves a pending sign-in (pending-sign-in.ts) which
 * `resume` completes once: it verifies the factor presented (verifyCredential: budget first), consumes the
 * attempt, and signs in the STORED attempt with that factor — every check runs again. The second factor is
 * never taken from a caller of `signIn`.
 */
export interface SignInAttempt {
  user: UserRecord;
  /** How the first factor was proved: "password", "basic", "email", "webauthn", ... */
  authnVia: AuthnMethod[];
  remember: boolean;
  /** "session": establish a session/token. "request": per-request auth (basic) that makes nothing. */
  kind: "session" | "request";
  /**
   * The second factor this attempt proved ("authenticator", "email", "sms", "recovery_code", …). Set only by
   * the pipeline: by `resume` after verifying it, or from the stored proof of a session it made (remember
   * restore). Checks read it: the second-factor check then continues, every other check runs again.
   */
  readonly secondFactor?: SecondFactorMethod;
  /**
   * The first factor already counts as multi-factor by configuration (unified sign-in with a method outside
   * US_MFA_REQUIRED, e.g. an authenticator or SMS code): the second-factor check does not apply. Set only by the
   * feature that verified that method.
   */
  firstFactorIsMultiFactor?: boolean;
}

/** What a caller of `signIn` may say about an attempt: the first factor it verified, never a second one. */
export type FirstFactorAttempt = Omit<SignInAttempt, "secondFactor">;

export type CheckOutcome =
  | { kind: "continue" }
  | { kind: "deny"; code: MessageKey; field: string; status?: number; params?: Record<string, string | number> }
  | {
      kind: "interrupt";
      status?: number;
      response: Record<string, unknown>;
      redirect?: string;
      /** The check's step record: the pipeline keeps the attempt pending (the check must declare `pending`). */
      pending?: unknown;
    };

/** An interruption whose next step has a page: browsers are sent to `redirect`, API callers get `response`. */
export function interruptTo(
  response: Record<string, unknown>,
  redirect: string,
  options: { status?: number | undefined; pending?: unknown } = {},
): CheckOutcome {
  return {
    kind: "interrupt",
    response,
    redirect,
    ...(options.status ? { status: options.status } : {}),
    ...(options.pending !== undefined ? { pending: options.pending } : {}),
  };
}

export interface SignInCheck {
  /** For diagnostics and ordering ("active", "confirmed", "lockout", "two-factor", ...). */
  name: string;
  run(ctx: RequestContext, attempt: SignInAttempt): Promise<CheckOutcome>;
  /** How this check keeps its step when it interrupts with one (a pending sign-in `resume` completes). */
  pending?: PendingStepSpec<any, any>;
}

export type SignInResult =
  | Exclude<CheckOutcome, { kind: "continue" }>
  | { kind: "signed-in"; user: UserRecord; session: SessionRecord; tokens: IssuedTokens | null };

/** How a factor that completes a pending sign-in is checked (the account's lockout, and the factor's own limit if any). */
export type FactorCredential = Resumption["credential"];

/** A factor completing a pending sign-in (two-factor's codes, a recovery code, a passkey…). */
export interface Resumption {
  /** The factor as the session will record it ("authenticator", "email", "sms", "recovery_code", "webauthn"). */
  method: SecondFactorMethod;
  /** Its check; the lockout (and its `limit`, if any) is drawn before `verify` runs. */
  credential: Omit<CredentialCheck, "dummy"> & { dummy?: () => Promise<void> };
  /** After the factor proved itself and the attempt was consumed, before the sign-in: returns the user to sign in. */
  commit?: (user: UserRecord) => Promise<UserRecord>;
  includeAuthToken: boolean;
}

/**
 * A check's own step completed (an app's terms accepted…), not a factor: the stored attempt signs in as it was
 * stopped — with the second factor it had already proved, if any — and every check runs again. `step` is what
 * the interrupting check's `resumableBy` is asked about.
 */
export interface StepCompletion extends Omit<Resumption, "method"> {
  step: string;
}

export type ResumeResult =
  | SignInResult
  /** Nothing this factor can complete: no attempt loaded from this request, or its step awaits another factor. */
  | { kind: "no-pending" }
  /**
   * The credential did not prove the factor (`reason` BUDGET_SPENT: the account waits or is locked, or the
   * factor's limit is spent — nothing was evaluated; `retryAfterSeconds` says for how long).
   */
  | { kind: "failed"; reason: string; retryAfterSeconds?: number }
  /** This attempt was completed already (a replayed copy of its cookie). */
  | { kind: "replayed" };

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

  /**
   * Runs every check; used directly by per-request mechanisms (basic auth) and by the restore of a session
   * from a remember cookie, whose `proof` is the multi-factor proof the pipeline stored with it.
   */
  async check(ctx: RequestContext, first: FirstFactorAttempt, proof: MfaProof | null = null): Promise<CheckOutcome> {
    return (await this.runChecks(ctx, withProof(first, proof))).outcome;
  }

  private async runChecks(
    ctx: RequestContext,
    attempt: SignInAttempt,
  ): Promise<{ outcome: CheckOutcome; by: SignInCheck | null }> {
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
        return { outcome, by: check };
      }
    }
    return { outcome: { kind: "continue" }, by: null };
  }

  /** Signs in after a first factor; a check may interrupt, leaving the attempt pending (see `resume`). */
  async signIn(ctx: RequestContext, first: FirstFactorAttempt & { includeAuthToken: boolean }): Promise<SignInResult> {
    // Built field by field: a `secondFactor` a caller slipped in is not carried.
    return this.complete(ctx, {
      user: first.user,
      authnVia: first.authnVia,
      remember: first.remember,
      kind: first.kind,
      includeAuthToken: first.includeAuthToken,
      ...(first.firstFactorIsMultiFactor ? { firstFactorIsMultiFactor: true } : {}),
    });
  }

  /** The request's pending sign-in (null when there is none); read it to choose the factor, then `resume`. */
  async pending(ctx: RequestContext): Promise<PendingSignIn | null> {
    return loadPending(ctx, (name) => this.specOf(name));
  }

  /**
   * Whether a pending sign-in of this request waits for `method` (a feature's factor page asks before it offers
   * that factor); `resume` asks the same before it completes one.
   */
  awaits(ctx: RequestContext, pending: PendingSignIn, method: string): boolean {
    const spec = this.specOf(pending.check);
    return spec !== undefined && loadedFrom(ctx, pending) && spec.resumableBy(pending.step, method);
  }

  /** Replaces the step of a pending sign-in (the user chose a factor, started a set-up…): a new cookie. */
  updatePending(ctx: RequestContext, pending: PendingSignIn, step: unknown): void {
    const spec = this.specOf(pending.check);
    if (!spec || !loadedFrom(ctx, pending)) throw new TypeError("updatePending: not a pending sign-in of this request");
    storePending(ctx, pending, pending.check, spec, step);
  }

  /** Ends the request's pending sign-in (its cookie); an already used one stays used. */
  clearPending(ctx: RequestContext): void {
    clearPendingCookie(ctx);
  }

  /**
   * Ends the request's pending sign-in for good (sign-out): its attempt is spent as a completion would spend it,
   * so a copy of the cookie kept elsewhere cannot complete it either.
   */
  async abandonPending(ctx: RequestContext): Promise<void> {
    const pending = await this.pending(ctx);
    const spec = pending ? this.specOf(pending.check) : undefined;
    if (pending && spec) await consumePendingOnce(ctx, pending, spec);
    clearPendingCookie(ctx);
  }

  /**
   * Completes a pending sign-in with a factor: the attempt must have been loaded from this request and its step
   * must await this factor; the credential is checked (lockout first); the attempt is consumed once; then the
   * STORED attempt (user, first factor, remember) signs in with the verified factor and every check runs again.
   */
  async resume(
    ctx: RequestContext,
    pending: PendingSignIn | null,
    factor: Resumption | StepCompletion,
  ): Promise<ResumeResult> {
    const spec = pending ? this.specOf(pending.check) : undefined;
    const method = "step" in factor ? factor.step : factor.method;
    if (!pending || !spec || !loadedFrom(ctx, pending) || !spec.resumableBy(pending.step, method)) {
      clearPendingCookie(ctx);
      return { kind: "no-pending" };
    }
    const verdict = await verifyCredential(ctx, pending.user, { dummy: async () => undefined, ...factor.credential });
    if (!verdict.ok)
      return {
        kind: "failed",
        reason: verdict.reason,
        ...(verdict.retryAfterSeconds !== undefined ? { retryAfterSeconds: verdict.retryAfterSeconds } : {}),
      };
    if (!(await consumePendingOnce(ctx, pending, spec))) {
      clearPendingCookie(ctx);
      return { kind: "replayed" };
    }
    const user = factor.commit ? await factor.commit(verdict.user) : verdict.user;
    const result = await this.complete(
      ctx,
      {
        user,
        authnVia: [...pending.authnVia],
        remember: pending.remember,
        kind: "session",
        includeAuthToken: factor.includeAuthToken,
        ...(pending.firstFactorIsMultiFactor ? { firstFactorIsMultiFactor: true } : {}),
      },
      // A factor is recorded as a second factor only for a step that asks for one (two-factor's); a check's own
      // step (terms accepted…) proves none, and the attempt keeps the second factor it proved before, if any.
      "step" in factor || !spec.provesSecondFactor ? pending.secondFactor : factor.method,
    );
    // A result that interrupts again with a step of its own has stored a new pending attempt.
    if (!(result.kind === "interrupt" && result.pending !== undefined)) clearPendingCookie(ctx);
    return result;
  }

  private specOf(name: string): PendingStepSpec<any, any> | undefined {
    return this.checks.find((c) => c.name === name)?.pending;
  }

  private async complete(
    ctx: RequestContext,
    first: FirstFactorAttempt & { includeAuthToken: boolean },
    secondFactor?: SecondFactorMethod,
  ): Promise<SignInResult> {
    let attempt: SignInAttempt & { includeAuthToken: boolean } = secondFactor ? { ...first, secondFactor } : first;
    const { outcome, by } = await this.runChecks(ctx, attempt);
    if (outcome.kind === "interrupt" && outcome.pending !== undefined) {
      if (!by?.pending)
        throw new TypeError(`sign-in check "${by?.name}" interrupted with a step but declares no pending`);
      storePending(
        ctx,
        { ...attempt, firstFactorIsMultiFactor: attempt.firstFactorIsMultiFactor === true },
        by.name,
        by.pending,
        outcome.pending,
      );
    }
    if (outcome.kind !== "continue") return outcome;
    const { rt } = ctx;
    // A first proof of the mailbox by an emailed code strips what predates it, only now that every check (the
    // second factor included) let the sign-in through.
    if (attempt.kind === "session" && !attempt.user.confirmedAt && signInProvesMailbox(attempt.authnVia)) {
      const proof = await proveMailbox(ctx, attempt.user, "signin", { password: false, rotate: true });
      attempt = { ...attempt, user: proof.user };
    }
    // Signed in: the account's failed attempts (password, codes…) are forgotten, and a lock with them.
    await forgetFailures(rt, attempt.user, { audit: requestAudit(ctx), via: "sign_in" });
    const caller = await beginSignInSession(ctx, attempt.user, {
      remember: attempt.remember,
      // The session records the second factor it proved ("tf:<method>"): two-factor changes require it (SECURITY I72).
      authnVia: attempt.secondFactor ? [...attempt.authnVia, `tf:${attempt.secondFactor}`] : attempt.authnVia,
      mfaProof: attempt.secondFactor
        ? { kind: "second-factor", method: attempt.secondFactor }
        : attempt.firstFactorIsMultiFactor
          ? { kind: "multi-factor-sign-in", method: (attempt.authnVia[0] ?? "") as AuthnMethod }
          : null,
    });
    const { session } = caller;
    if (rt.config.trackable) await trackLogin(ctx, attempt.user);
    const tokens = attempt.includeAuthToken
      ? await issueTokens(ctx, attempt.user, {
          authenticatedAtSeconds: caller.authenticatedAtSeconds,
          authnVia: caller.session.authnVia,
          multiFactor: attempt.firstFactorIsMultiFactor === true,
        })
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
    return { kind: "signed-in", user: attempt.user, session, tokens };
  }
}

/** A stored multi-factor proof as what it lets the checks skip. */
function withProof(first: FirstFactorAttempt, proof: MfaProof | null): SignInAttempt {
  if (!proof) return first;
  return proof.kind === "second-factor"
    ? { ...first, secondFactor: proof.method }
    : { ...first, firstFactorIsMultiFactor: true };
}

async function trackLogin(ctx: RequestContext, user: UserRecord): Promise<void> {
  await ctx.rt.datastore.users.recordLogin(user.id, ctx.now(), ctx.clientIp());
}
