import type { AuthnMethod, SecondFactorMethod } from "../../core/methods.js";
import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { completeSignIn, hookVeto } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import type { Caller } from "../../core/identity.js";
import { fieldError, ok, refused, type Outcome, type Refused } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { csrfToken, signedIn, userJson } from "../../core/schemas.js";
import { clearSessionCookies, endCurrentSession } from "../../core/session-cookies.js";
import { resealIfNeeded, totpConfig } from "../../core/passcodes/index.js";
import { qrCodeDataUrl, totpUri } from "../../crypto/totp/index.js";
import { checkCode, clearAttempts, drawAttempt } from "./codes.js";
import { validatePage } from "./pages.js";
import { recoveryOptions } from "./rescue.js";
import { codeInput, recoveryOptions as recoveryOptionsSchema } from "./schemas.js";
import { changeForm, validateChange } from "./setup-changing.js";
import {
  clearPending,
  consumePending,
  readPending,
  secretBox,
  setValidityCookie,
  tfConfig,
  type Pending,
  type PendingState,
} from "./state.js";

/**
 * GET/POST /tf-validate serves two flows, each its own handler: the second step of a pending sign-in (state
 * `ready`, or `validating_profile` for a method set up during login) — the pending cookie is the credential
 * and a correct code completes the sign-in through the pipeline; and a signed-in user's change of method (FS
 * "changing", setup-changing.ts) — only the signed-in user who started it completes it.
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

/** States in which /tf-validate accepts a code. */
const VALIDATING: readonly string[] = ["ready", "validating_profile"];

/** The signed-in caller who started this change, or null (anyone else, or nobody signed in). */
function changeOwner(caller: Caller | null, state: PendingState): Caller | null {
  return caller && caller.user.fsUniquifier === state.u ? caller : null;
}

export const getValidateRoute = (path: string) =>
  defineRoute({
    id: "tf-validate.form",
    summary:
      "The second-factor code form: a CSRF token, the rescue options of a pending sign-in (or the user, for a signed-in change).",
    method: "GET",
    path,
    auth: "any",
    output: z.object({
      csrf_token: csrfToken,
      recovery_options: recoveryOptionsSchema.optional(),
      user: userJson.optional(),
    }),
    page: validateFormPage,
    async handle(ctx, { caller }) {
      const pending = await readPending(ctx);
      if (!pending || !VALIDATING.includes(pending.state.s)) return permissionDenied(ctx);
      const { state } = pending;
      if (state.c) {
        const owner = changeOwner(caller, state);
        return owner ? changeForm(ctx, owner, state) : permissionDenied(ctx);
      }
      const extra = state.s === "ready" ? { recovery_options: recoveryOptions(ctx, pending.user) } : {};
      return ok(extra, { csrf: true, browser: { view: { method: state.m ?? "" } } });
    },
  });

export const postValidateRoute = (path: string) =>
  defineRoute({
    id: "tf-validate",
    summary: "Complete a pending sign-in with the second-factor code (or confirm a signed-in user's new method).",
    method: "POST",
    path,
    auth: "any",
    input: codeInput,
    output: signedIn,
    errors: [429],
    page: validateFormPage,
    async handle(ctx, { input, caller }) {
      const code = input.code ?? "";
      const pending = await readPending(ctx);
      if (!pending || !VALIDATING.includes(pending.state.s))
        return caller ? signOutDenied(ctx, caller) : permissionDenied(ctx);
      if (!pending.state.c) return validateSignIn(ctx, pending, code);
      // A signed-in user's change: only that user, still signed in, completes it (anyone else is treated as a
      // stray code submission).
      const owner = changeOwner(caller, pending.state);
      if (owner) return validateChange(ctx, owner, pending, code);
      clearPending(ctx);
      return caller ? signOutDenied(ctx, caller) : permissionDenied(ctx);
    },
  });

/** The pending sign-in's second step: nobody is signed in yet; the pending cookie names the user. */
async function validateSignIn(
  ctx: RequestContext,
  pending: Pending,
  rawCode: string,
): Promise<Outcome<any, ValidateView>> {
  const { rt } = ctx;
  const { state } = pending;
  let user = pending.user;
  const view: ValidateView = { method: state.m ?? "" };
  const veto = await hookVeto(ctx, "tf_validate", user, view);
  if (veto) return veto;
  const setup = state.s === "validating_profile";
  // "ready" validates the factor the login started (a plugin's factor is not a code: refused here).
  const method = setup || (state.e && state.m === "email") || state.m === user.tfPrimaryMethod ? state.m : null;
  const sealed = setup ? state.t : user.tfTotpSecret;
  const secret = method && sealed ? secretBox(rt).open(sealed) : null;
  if (!method || !secret) {
    clearPending(ctx);
    return permissionDenied(ctx);
  }
  const spent = await drawAttempt(ctx, user);
  if (spent) return spent;
  if (!(await checkCode(ctx, user, method, secret, rawCode.replace(/\s+/g, ""), state.n ?? 0))) {
    if (!setup)
      await rt.events.emit("user_failed_authn", {
        user,
        identity: user.email,
        authType: "tf",
        reason: "TWO_FACTOR_INVALID_TOKEN",
      });
    await recordAudit(ctx, { event: "tf_validate", outcome: "failure", user, details: { method, setup } });
    // Setting up an authenticator: the page shows the QR code again (the user may not have scanned it yet).
    if (setup && method === "authenticator")
      view.qr = {
        uri: totpUri({ secret, issuer: totpConfig(rt).issuer!, account: user.username ?? user.email }),
        key: secret,
      };
    return fieldError("code", "TWO_FACTOR_INVALID_TOKEN", { view });
  }
  await clearAttempts(ctx, user);
  if (!setup && sealed && sealed === user.tfTotpSecret) {
    // A secret in an older format (e.g. stored by Flask-Security) is sealed again now that it proved itself.
    const stored = sealed;
    await resealIfNeeded(ctx, stored, secret, (next) => rt.datastore.users.replaceTfTotpSecret(user.id, stored, next));
  }
  if (!(await consumePending(ctx, pending))) {
    clearPending(ctx);
    return permissionDenied(ctx);
  }
  if (setup) {
    // Only now, after a correct code for the pending secret, does the new method become the user's.
    await rt.datastore.users.update(user.id, {
      tfPrimaryMethod: method,
      tfTotpSecret: sealed!,
      tfPhoneNumber: method === "sms" ? (state.p ?? null) : null,
    });
    user = (await rt.datastore.users.findById(user.id)) ?? user;
    await recordAudit(ctx, { event: "tf_setup", outcome: "success", user, details: { method, via: "login" } });
    await rt.events.emit("tf_profile_changed", { user, method });
  }
  const result = await rt.pipeline.signIn(ctx, {
    user,
    authnVia: [...state.v] as AuthnMethod[],
    remember: state.r,
    kind: "session",
    includeAuthToken: ctx.includeAuthToken(),
    secondFactor: method as SecondFactorMethod,
  });
  clearPending(ctx);
  if (result.kind === "signed-in") {
    if (state.r && !tfConfig(rt).alwaysValidate) setValidityCookie(ctx, user);
    await recordAudit(ctx, { event: "tf_validate", outcome: "success", user, details: { method } });
    await rt.events.emit("tf_code_confirmed", { user, method });
  }
  // A denial by a check that reran (the account was disabled meanwhile…) is the form's error.
  return completeSignIn(ctx, result, { action: "tf_validate", denyField: "", view });
}

/**
 * FS: a signed-in caller posting /tf-validate with no pending setup or login is signed out (session ended,
 * cookies cleared) and denied — a stray code submission must not leave a session behind it.
 */
async function signOutDenied(ctx: RequestContext, caller: Caller): Promise<Refused> {
  const { rt } = ctx;
  const ended = caller.mechanism === "session" ? await endCurrentSession(ctx) : null;
  clearSessionCookies(ctx);
  ctx.sessionOverride = { caller: null };
  await recordAudit(ctx, {
    event: "logout",
    outcome: "success",
    user: caller.user,
    details: { session: ended, reason: "TWO_FACTOR_PERMISSION_DENIED" },
  });
  await rt.events.emit("user_unauthenticated", { user: caller.user });
  return permissionDenied(ctx);
}
