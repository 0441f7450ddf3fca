import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runBeforeHook, vetoErrors } from "../../core/hooks.js";
import type { Caller } from "../../core/identity.js";
import { formErrorJson, htmlResponse, jsonResponse, type FieldErrors } from "../../core/http/respond.js";
import { readInput, str } from "../../core/input.js";
import { generateTotpSecret, qrCodeDataUrl, totpUri } from "../../crypto/totp/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { drawSetupSmsBudget, phoneE164, totpConfig } from "../../core/passcodes/index.js";
import { availableMethods, newCodeNonce, sendCode } from "./codes.js";
import { setupPage } from "./pages.js";
import { authenticatedGet, authenticatedPost } from "./setup-authenticated.js";
import { isLoginSetup, readPending, secretBox, setPending, tfConfig, type PendingState } from "./state.js";
import { permissionDenied } from "./validate.js";

/**
 * GET/POST /tf-setup. During login (pending state setup_from_login / validating_profile, anonymous) the
 * chosen method's new secret stays sealed in the pending cookie until /tf-validate accepts a code for it;
 * an authenticated caller uses the state-token flow (setup-authenticated.ts).
 */
export async function getSetup(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const pending = await readPending(ctx);
  if (!pending || !isLoginSetup(pending.state)) return caller ? authenticatedGet(ctx, caller) : permissionDenied(ctx);
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { ...setupInfo(ctx, pending.user), csrf_token: csrfToken });
  return htmlResponse(ctx, 200, setupPage(ctx, { csrfToken, methods: availableMethods(ctx) }));
}

export function setupInfo(ctx: RequestContext, user: UserRecord): Record<string, unknown> {
  return {
    tf_required: tfConfig(ctx.rt).required,
    tf_method: user.tfPrimaryMethod,
    tf_primary_method: user.tfPrimaryMethod,
    tf_phone_number: user.tfPhoneNumber,
    // FS lists "disable" as a choice whenever two-factor is not required.
    tf_available_methods: tfConfig(ctx.rt).required ? availableMethods(ctx) : [...availableMethods(ctx), "disable"],
  };
}

/** `code`: the current authenticator code, for a signed-in user changing or disabling 2FA (SECURITY I72). */
export const setupInput = { setup: str(32, "TWO_FACTOR_METHOD_NOT_AVAILABLE"), phone: str(64, "PHONE_INVALID"), code: str(64, "TWO_FACTOR_INVALID_TOKEN") };

export async function postSetup(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const input = await readInput(ctx, setupInput);
  const pending = await readPending(ctx);
  if (!pending || !isLoginSetup(pending.state)) return caller ? authenticatedPost(ctx, caller, input) : permissionDenied(ctx);
  const { user, state } = pending;
  const fail = async (errors: FieldErrors, status = 400) =>
    ctx.wantsJson ? formErrorJson(ctx, errors, status) : htmlResponse(ctx, status >= 500 ? status : 200, setupPage(ctx, { csrfToken: await issueCsrfToken(ctx), methods: availableMethods(ctx), errors }));
  const veto = await runBeforeHook(ctx, "tf_setup", user);
  if (veto) return fail(vetoErrors(veto));
  const method = input.setup ?? "";
  if (!availableMethods(ctx).includes(method)) return fail({ setup: [{ code: "TWO_FACTOR_METHOD_NOT_AVAILABLE" }] });

  const begun = await beginSetup(ctx, user, method, input.phone);
  if ("errors" in begun) return fail(begun.errors, begun.status);
  const next: PendingState = { u: state.u, s: "validating_profile", m: method, r: state.r, v: state.v, t: begun.sealed, n: begun.nonce };
  if (begun.phone) next.p = begun.phone;
  setPending(ctx, next);
  await recordAudit(ctx, { event: "tf_setup_started", outcome: "info", user, details: { method, via: "login" } });
  // FS answers the chosen method in both fields (tf_primary_method is its older name).
  const payload = { tf_state: "validating_profile", tf_method: method, tf_primary_method: method, tf_state_token: null, ...begun.extras };
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { ...payload, csrf_token: csrfToken });
  const qr = method === "authenticator" ? { dataUrl: await qrCodeDataUrl(begun.extras.tf_authr_uri as string), key: begun.secret } : null;
  return htmlResponse(ctx, 200, setupPage(ctx, { csrfToken, methods: availableMethods(ctx), qr, validating: true }));
}

/**
 * A new secret for `method`: sealed for the pending state, the authenticator extras, and for email the code
 * sent right away. Errors: PHONE_INVALID (400), FAILED_TO_SEND_CODE (500).
 */
export async function beginSetup(
  ctx: RequestContext,
  user: UserRecord,
  method: string,
  rawPhone?: string,
): Promise<{ errors: FieldErrors; status: number } | { secret: string; sealed: string; phone: string | null; nonce: number; extras: Record<string, unknown> }> {
  const { rt } = ctx;
  const cfg = tfConfig(rt);
  const phone = method === "sms" ? phoneE164(rt, rawPhone ?? "") : null;
  if (method === "sms" && !phone) return { errors: { phone: [{ code: "PHONE_INVALID" }] }, status: 400 };
  const secret = generateTotpSecret();
  const sealed = secretBox(rt).seal(secret);
  const nonce = newCodeNonce();
  const extras: Record<string, unknown> = {};
  if (method === "authenticator") {
    const account = user.username ?? user.email;
    const issuer = totpConfig(rt).issuer!;
    extras.tf_authr_key = secret;
    extras.tf_authr_b32key = secret;
    extras.tf_authr_username = account;
    extras.tf_authr_issuer = issuer;
    extras.tf_authr_uri = totpUri({ secret, issuer: issuer, account });
  } else if (method === "sms" && !(await drawSetupSmsBudget(ctx, user, phone!, "tf_code_sent"))) {
    // Over a setup-text budget (SMS pumping): nothing is sent, and the answer does not say so.
  } else if (!(await sendCode(ctx, user, method, secret, phone, nonce))) {
    return { errors: { "": [{ code: "FAILED_TO_SEND_CODE" }] }, status: 500 };
  }
  return { secret, sealed, phone, nonce, extras };
}
