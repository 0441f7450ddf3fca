import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineCallerRoutes } from "../../core/define-route.js";
import type { PendingSignIn } from "../../core/pending-sign-in.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { formErrors, ok, type Outcome } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { generateTotpSecret, qrCodeDataUrl, totpUri } from "../../crypto/totp/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { drawSetupSmsBudget, phoneE164, totpConfig } from "../../kit/passcodes/index.js";
import { availableMethods, newCodeNonce, sendCode } from "./codes.js";
import { setupPage } from "./pages.js";
import { setupInfo as setupInfoSchema, setupInput, setupStarted, userAnswer } from "./schemas.js";
import { signedInForm, signedInSetup } from "./setup-authenticated.js";
import { isLoginSetup, secretBox, setStep, tfConfig, tfPendingOf, type TfPending, type TfStep } from "./state.js";
import { permissionDenied } from "./validate.js";

/**
 * GET/POST /tf-setup serves two kinds of caller, each its own handler (defineCallerRoutes): a pending sign-in
 * setting up its method (step setup_from_login / validating_profile; the pending attempt is the credential,
 * nobody is signed in) — the new secret stays sealed in the attempt's step until /tf-validate accepts a code
 * for it; and a signed-in user choosing, changing or disabling their method (setup-authenticated.ts), which
 * needs a fresh authentication (POST). With neither, the answer is TWO_FACTOR_PERMISSION_DENIED (as FS).
 */

/** What the setup page shows besides the method choice. */
export interface SetupView {
  /** A signed-in user's current method: changing or disabling it asks for its code. */
  current?: { method: string; canDisable: boolean } | null;
  /** The new authenticator's key, shown as a QR code, while the code form waits for its first code. */
  qr?: { uri: string; key: string } | null;
  validating?: boolean;
}

export async function setupFormPage(ctx: RequestContext, props: PageProps<unknown, SetupView>): Promise<string> {
  const view = props.view;
  const qr = view?.qr ? { dataUrl: await qrCodeDataUrl(view.qr.uri), key: view.qr.key } : null;
  return setupPage(ctx, {
    csrfToken: props.csrfToken,
    methods: availableMethods(ctx),
    errors: props.errors,
    qr,
    validating: view?.validating ?? false,
    current: view?.current ?? null,
    flashes: props.errors ? [] : props.takeFlashes(),
  });
}

/** A pending sign-in this route serves: one setting up its method. */
function settingUp(pending: PendingSignIn): TfPending | null {
  const tf = tfPendingOf(pending);
  return tf && isLoginSetup(tf.step) ? tf : null;
}

export const getSetupRoute = (path: string) =>
  defineCallerRoutes({
    id: "tf-setup.form",
    summary: "Where two-factor stands for a pending sign-in or the signed-in user, and the methods to choose from.",
    method: "GET",
    path,
    output: setupInfoSchema,
    page: setupFormPage,
    pending: {
      accepts: settingUp,
      handle: async (ctx, { attempt }) => ok(setupInfo(ctx, attempt.user), { csrf: true }),
    },
    signedIn: { auth: "authenticated", handle: (ctx, { caller }) => signedInForm(ctx, caller) },
    otherwise: permissionDenied,
  });

export const postSetupRoute = (path: string) =>
  defineCallerRoutes({
    id: "tf-setup",
    summary: "Choose a two-factor method (during sign-in, or signed in and fresh: also change or disable it).",
    method: "POST",
    path,
    limits: ["credential", "send"],
    input: setupInput,
    output: z.union([setupStarted, userAnswer]),
    errors: [401, 500],
    page: setupFormPage,
    pending: { accepts: settingUp, handle: (ctx, { input, attempt }) => setupDuringLogin(ctx, attempt, input) },
    signedIn: { auth: "fresh", handle: (ctx, { input, caller }) => signedInSetup(ctx, caller, input) },
    otherwise: permissionDenied,
  });

export function setupInfo(ctx: RequestContext, user: UserRecord) {
  return {
    tf_required: tfConfig(ctx.rt).required,
    tf_method: user.tfPrimaryMethod,
    tf_primary_method: user.tfPrimaryMethod,
    tf_phone_number: user.tfPhoneNumber,
    // FS lists "disable" as a choice whenever two-factor is not required.
    tf_available_methods: tfConfig(ctx.rt).required ? availableMethods(ctx) : [...availableMethods(ctx), "disable"],
  };
}

/** A pending sign-in chooses its method: the new secret waits, sealed, in the pending attempt's step. */
async function setupDuringLogin(
  ctx: RequestContext,
  tf: TfPending,
  input: z.output<typeof setupInput>,
): Promise<Outcome<any, SetupView>> {
  const { user } = tf;
  const veto = await hookVeto(ctx, "tf_setup", user);
  if (veto) return veto;
  const method = input.setup ?? "";
  if (!availableMethods(ctx).includes(method))
    return formErrors({ setup: [{ code: "TWO_FACTOR_METHOD_NOT_AVAILABLE" }] });
  const begun = await beginSetup(ctx, user, method, input.phone);
  if ("errors" in begun) return formErrors(begun.errors, { status: begun.status });
  const next: TfStep = { state: "validating_profile", method, sealed: begun.sealed, nonce: begun.nonce };
  if (begun.phone) next.phone = begun.phone;
  setStep(ctx, tf, next);
  await recordAudit(ctx, { event: "tf_setup_started", outcome: "info", user, details: { method, via: "login" } });
  // FS answers the chosen method in both fields (tf_primary_method is its older name).
  const payload = {
    tf_state: "validating_profile",
    tf_method: method,
    tf_primary_method: method,
    tf_state_token: null,
    ...begun.extras,
  };
  return ok(payload, { csrf: true, browser: { view: { validating: true, qr: qrOf(begun) } } });
}

/** The authenticator's key for the page's QR code (other methods have none). */
export function qrOf(begun: { secret: string; extras: Record<string, unknown> }): SetupView["qr"] {
  const uri = begun.extras.tf_authr_uri;
  return typeof uri === "string" ? { uri, key: begun.secret } : null;
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
): Promise<
  | { errors: FieldErrors; status: number }
  | { secret: string; sealed: string; phone: string | null; nonce: number; extras: Record<string, unknown> }
> {
  const { rt } = ctx;
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
