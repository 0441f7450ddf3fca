import type { AuthnMethod, SecondFactorMethod } from "../../core/methods.js";
import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { completeSignIn, hookVeto } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineCallerRoutes } from "../../core/define-route.js";
import type { PendingSignIn } from "../../core/pending-sign-in.js";
import type { Caller } from "../../core/identity.js";
import { fieldError, ok, refused, type Outcome, type Refused } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { csrfToken, signedIn, userJson } from "../../kit/schemas.js";
import { signOut } from "../../core/session-writer.js";
import { resealIfNeeded, totpConfig } from "../../kit/passcodes/index.js";
import { qrCodeDataUrl, totpUri } from "../../crypto/totp/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { codeCredential, tooManyAttempts } from "./codes.js";
import { validatePage } from "./pages.js";
import { twoFactorStore } from "./store.js";
import { recoveryOptions } from "./rescue.js";
import { codeInput, recoveryOptions as recoveryOptionsSchema } from "./schemas.js";
import { changeForm, validateChange } from "./setup-changing.js";
import {
  clearPending,
  readChange,
  rememberDevice,
  secretBox,
  tfPendingOf,
  type TfChange,
  type TfPending,
} from "./state.js";

/**
 * GET/POST /tf-validate serves two flows, each its own handler: the second step of a pending sign-in (step
 * `ready`, or `validating_profile` for a method set up during login) — the pending attempt is the credential
 * and a correct code completes it with `pipeline.resume`; and a signed-in user's change of method (FS
 * "changing", setup-changing.ts, its own signed state) — only the signed-in user who started it completes it.
 */
export function permissionDenied(ctx: RequestContext): Refused {
  return refused("TWO_FACTOR_PERMISSION_DENIED", 400, { browser: { redirect: ctx.rt.url(ctx.rt.config.urls.login) } });
}

/** What the code page needs: the method (for its hint) and, after a wrong first code, the QR code again. */
export interface ValidateView {
  method: string;
  qr?: { uri: string; key: string } | null;
}

export async function validateFormPage(ctx: RequestContext, props: PageProps<unknown, ValidateView>): Promise<string> {
  const qr = props.view?.qr ? { dataUrl: await qrCodeDataUrl(props.view.qr.uri), key: props.view.qr.key } : null;
  return validatePage(ctx, { csrfToken: props.csrfToken, method: props.view?.method ?? "", errors: props.errors, qr });
}

/** Steps at which /tf-validate accepts a code. */
const VALIDATING: readonly string[] = ["ready", "validating_profile"];

/** A pending sign-in this route serves: one waiting for a code. */
function waitingForCode(pending: PendingSignIn): TfPending | null {
  const tf = tfPendingOf(pending);
  return tf && VALIDATING.includes(tf.step.state) ? tf : null;
}

/** The signed-in caller who started this change, or null (anyone else, or nobody signed in). */
function changeOwner(caller: Caller | null, change: TfChange): Caller | null {
  return caller && caller.user.fsUniquifier === change.user ? caller : null;
}

export const getValidateRoute = (path: string) =>
  defineCallerRoutes({
    id: "tf-validate.form",
    summary:
      "The second-factor code form: a CSRF token, the rescue options of a pending sign-in (or the user, for a signed-in change).",
    method: "GET",
    path,
    output: z.object({
      csrf_token: csrfToken,
      recovery_options: recoveryOptionsSchema.optional(),
      user: userJson.optional(),
    }),
    page: validateFormPage,
    pending: {
      accepts: waitingForCode,
      async handle(ctx, { attempt: tf }) {
        const extra = tf.step.state === "ready" ? { recovery_options: recoveryOptions(ctx, tf.user) } : {};
        return ok(extra, { csrf: true, browser: { view: { method: tf.step.method ?? "" } } });
      },
    },
    signedIn: {
      auth: "authenticated",
      async handle(ctx, { caller }) {
        const change = readChange(ctx);
        return change && changeOwner(caller, change.change)
          ? changeForm(ctx, caller, change.change)
          : permissionDenied(ctx);
      },
    },
    otherwise: permissionDenied,
  });

export const postValidateRoute = (path: string) =>
  defineCallerRoutes({
    id: "tf-validate",
    summary: "Complete a pending sign-in with the second-factor code (or confirm a signed-in user's new method).",
    method: "POST",
    path,
    limits: ["credential"],
    input: codeInput,
    output: signedIn,
    page: validateFormPage,
    pending: {
      accepts: waitingForCode,
      handle: (ctx, { input, attempt }) => validateSignIn(ctx, attempt, input.code ?? ""),
    },
    signedIn: {
      auth: "authenticated",
      async handle(ctx, { input, caller }) {
        // A signed-in user's change: only that user completes it; anyone else, or nothing to confirm, is a stray
        // code submission (signed out, as FS).
        const change = readChange(ctx);
        if (change && changeOwner(caller, change.change)) return validateChange(ctx, caller, change, input.code ?? "");
        if (change) clearPending(ctx);
        return signOutDenied(ctx, caller);
      },
    },
    otherwise(ctx) {
      if (readChange(ctx)) clearPending(ctx);
      return permissionDenied(ctx);
    },
  });

/**
 * The pending sign-in's second step: nobody is signed in yet; the pending attempt names the user. A correct
 * code completes it through `pipeline.resume` (budget drawn first, the attempt consumed once, every check rerun).
 */
async function validateSignIn(
  ctx: RequestContext,
  tf: TfPending,
  rawCode: string,
): Promise<Outcome<any, ValidateView>> {
  const { rt } = ctx;
  const { step, user } = tf;
  const view: ValidateView = { method: step.method ?? "" };
  const veto = await hookVeto(ctx, "tf_validate", user, view);
  if (veto) return veto;
  const setup = step.state === "validating_profile";
  // "ready" validates the factor the login started (a plugin's factor is not a code: refused here).
  const method =
    setup || (step.rescue && step.method === "email") || step.method === user.tfPrimaryMethod
      ? (step.method as SecondFactorMethod)
      : null;
  const sealed = setup ? step.sealed : user.tfTotpSecret;
  const secret = method && sealed ? secretBox(rt).open(sealed) : null;
  if (!method || !sealed || !secret) {
    clearPending(ctx);
    return permissionDenied(ctx);
  }
  const result = await rt.pipeline.resume(ctx, tf.pending, {
    method,
    credential: codeCredential(ctx, user, {
      method,
      secret,
      code: rawCode,
      nonce: step.nonce ?? 0,
      audit: "tf_validate",
      setup,
    }),
    includeAuthToken: ctx.includeAuthToken(),
    commit: (verified) => afterCode(ctx, verified, { method, sealed, setup, secret, phone: step.phone ?? null }),
  });
  if (result.kind === "no-pending" || result.kind === "replayed") return permissionDenied(ctx);
  if (result.kind === "failed") {
    if (result.reason === "BUDGET_SPENT") return tooManyAttempts(result);
    // Setting up an authenticator: the page shows the QR code again (the user may not have scanned it yet).
    if (setup && method === "authenticator")
      view.qr = {
        uri: totpUri({ secret, issuer: totpConfig(rt).issuer!, account: user.username ?? user.email }),
        key: secret,
      };
    return fieldError("code", "TWO_FACTOR_INVALID_TOKEN", { view });
  }
  if (result.kind === "signed-in") {
    rememberDevice(ctx, result.user, tf.pending.remember);
    await recordAudit(ctx, { event: "tf_validate", outcome: "success", user: result.user, details: { method } });
    await rt.events.emit("tf_code_confirmed", { user: result.user, method });
  }
  // A denial by a check that reran (the account was disabled meanwhile…) is the form's error.
  return completeSignIn(ctx, result, { action: "tf_validate", denyField: "", view });
}

/**
 * A correct code, the attempt consumed: a stored secret in an older format is sealed again; a method set up during
 * the login becomes the user's only now. (The account's failures are forgotten once the sign-in completes.)
 */
async function afterCode(
  ctx: RequestContext,
  user: UserRecord,
  code: { method: string; sealed: string; setup: boolean; secret: string; phone: string | null },
): Promise<UserRecord> {
  const { rt } = ctx;
  if (!code.setup) {
    // A secret in an older format (e.g. stored by Flask-Security) is sealed again now that it proved itself.
    const stored = code.sealed;
    if (stored === user.tfTotpSecret)
      await resealIfNeeded(ctx, stored, code.secret, (next) =>
        rt.datastore.store(twoFactorStore).replaceTotpSecret(user.id, stored, next),
      );
    return user;
  }
  await rt.datastore.users.update(user.id, {
    tfPrimaryMethod: code.method,
    tfTotpSecret: code.sealed,
    tfPhoneNumber: code.method === "sms" ? code.phone : null,
  });
  const updated = (await rt.datastore.users.findById(user.id)) ?? user;
  await recordAudit(ctx, {
    event: "tf_setup",
    outcome: "success",
    user: updated,
    details: { method: code.method, via: "login" },
  });
  await rt.events.emit("tf_profile_changed", { user: updated, method: code.method });
  return updated;
}

/**
 * FS: a signed-in caller posting /tf-validate with no pending setup or login is signed out (session ended,
 * cookies cleared) and denied — a stray code submission must not leave a session behind it.
 */
async function signOutDenied(ctx: RequestContext, caller: Caller): Promise<Refused> {
  await signOut(ctx, caller, { reason: "TWO_FACTOR_PERMISSION_DENIED", onlyIfSessionCaller: true });
  return permissionDenied(ctx);
}
