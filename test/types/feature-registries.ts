/**
 * Type-level checks of the registries features grow (audit events, first- and second-factor methods) and of the
 * narrow surface `rampart/feature` gives handlers. Never run: test/types/types.test.ts typechecks this file with
 * tsc, and every `@ts-expect-error` line must really be an error.
 */
import { z } from "zod";
import type { AuditEvent, AuthnMethod, SecondFactorMethod } from "../../src/index.js";
import { defineFeature, defineRoute, ok, type RouteContext } from "../../src/feature.js";
import type { AuditEntry } from "../../src/core/audit.js";
import type { SignInAttempt } from "../../src/core/sign-in.js";
import type { MfaProof, UserRecord } from "../../src/datastore/contracts.js";

// An app's feature adds its own audit event the way the built-in features do.
declare module "../../src/feature.js" {
  interface AuditEvents {
    invoice_paid: true;
  }
}

export function auditEventsAreAClosedUnion(ctx: RouteContext): void {
  const known: AuditEvent[] = ["login", "logout", "tf_validate", "us_setup", "password_changed", "invoice_paid"];
  const entry: AuditEntry = { event: "invoice_paid", outcome: "success" };
  void ctx.audit(entry);
  void ctx.audit({ event: "register", outcome: "failure", details: { reason: "x" } });
  // @ts-expect-error an audit event nobody declared
  void ctx.audit({ event: "invoice_payed", outcome: "success" });
  // @ts-expect-error a misspelt built-in one
  const typo: AuditEvent = "logni";
  void [known, typo];
}

export function methodsAreClosedUnions(user: UserRecord): void {
  const first: AuthnMethod[] = ["password", "basic", "email", "sms", "authenticator", "remember", "change", "register"];
  const second: SecondFactorMethod[] = ["authenticator", "email", "sms", "recovery_code"];
  // @ts-expect-error a misspelt first factor
  const pasword: AuthnMethod = "pasword";
  // @ts-expect-error "remember" proves a first factor only, never a second one
  const notSecond: SecondFactorMethod = "remember";
  const attempt: SignInAttempt = { user, authnVia: ["password"], remember: false, kind: "session" };
  // @ts-expect-error a sign-in attempt names how its first factor was proved with a declared method
  const badAttempt: SignInAttempt = { user, authnVia: ["passwrod"], remember: false, kind: "session" };
  const proofs: MfaProof[] = [
    { kind: "second-factor", method: "recovery_code" },
    { kind: "multi-factor-sign-in", method: "sms" },
  ];
  // @ts-expect-error a second-factor proof names a second factor
  const badProof: MfaProof = { kind: "second-factor", method: "password" };
  void [first, second, pasword, notSecond, attempt, badAttempt, proofs, badProof];
}

export const narrowSurface = defineFeature({
  name: "invoices",
  routes: () => [
    defineRoute({
      id: "invoices.mine",
      summary: "The caller's invoices.",
      method: "GET",
      path: "/invoices",
      auth: "authenticated",
      output: z.object({ owner: z.number() }),
      async handle(ctx, { caller }) {
        // @ts-expect-error handlers see no runtime
        void ctx.rt;
        // @ts-expect-error nor the database row: the public user has no password hash
        void caller.user.password;
        return ok({ owner: caller.user.id });
      },
    }),
    defineRoute({
      id: "invoices.public",
      summary: "Anyone may call it.",
      method: "GET",
      path: "/invoices/public",
      auth: "any",
      output: z.object({ owner: z.number().nullable() }),
      async handle(_ctx, { caller }) {
        // @ts-expect-error on an "any" route the caller may be missing
        void caller.user;
        return ok({ owner: caller ? caller.user.id : null });
      },
    }),
    defineRoute({
      id: "invoices.wrong",
      summary: "Answers what it did not declare.",
      method: "GET",
      path: "/invoices/wrong",
      auth: "any",
      output: z.object({ owner: z.number() }),
      // @ts-expect-error the payload must match the declared output
      handle: async () => ok({ owner: "nobody" }),
    }),
  ],
});
