import { amrWithEnrolled } from "../../core/tokens/amr.js";
import { callerAuthentication } from "../../core/tokens/caller-auth.js";
import { tokensIfAsked } from "../../core/tokens/issue.js";
import { signedInPayload } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import type { Caller } from "../../core/identity.js";
import { fieldError, ok, type Outcome } from "../../core/outcome.js";
import { verifyCredential, type CredentialCheck } from "../../core/verify-credential.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { availableMethods, codeCredential, tooManyAttempts } from "./codes.js";
import { commitSetup } from "./setup-authenticated.js";
import { clearPending, consumeChange, primaryMethod, secretBox, tfConfig, type TfChange } from "./state.js";
import { permissionDenied, type ValidateView } from "./validate.js";

/**
 * /tf-validate for a signed-in user's change (FS "changing"): the change state set by POST /tf-setup holds the
 * new sealed secret; a correct code for it makes it the user's method. The user stays signed in; no sign-in
 * pipeline runs. The route has matched the caller to the state's user before calling these.
 */
export async function changeForm(
  ctx: RequestContext,
  caller: Caller,
  change: TfChange,
): Promise<Outcome<any, ValidateView>> {
  return ok(await signedInPayload(ctx, caller.user, null), {
    csrf: true,
    browser: { view: { method: change.method } },
  });
}

export async function validateChange(
  ctx: RequestContext,
  caller: Caller,
  read: { change: TfChange; marker: string },
  rawCode: string,
): Promise<Outcome<any, ValidateView>> {
  const { rt } = ctx;
  const { change } = read;
  const user = caller.user;
  const { method, sealed } = change;
  const secret = secretBox(rt).open(sealed);
  // Started against the method the user had then: a change settled meanwhile (state token, disable, another
  // change) leaves this one stale.
  const previous = primaryMethod(user);
  if (
    change.previous !== previous ||
    !availableMethods(ctx).includes(method) ||
    !secret ||
    (method === "sms" && !change.phone)
  ) {
    clearPending(ctx);
    return permissionDenied(ctx);
  }
  const verdict = await verifyCredential(
    ctx,
    user,
    setupCodeCredential(ctx, user, { method, secret, code: rawCode, nonce: change.nonce }),
  );
  if (!verdict.ok)
    return verdict.reason === "BUDGET_SPENT"
      ? tooManyAttempts(verdict)
      : fieldError("code", "TWO_FACTOR_INVALID_TOKEN", { view: { method } });
  if (!(await consumeChange(ctx, read.marker))) {
    clearPending(ctx);
    return permissionDenied(ctx);
  }
  clearPending(ctx);
  const updated = await commitSetup(ctx, user, { method, sealed, phone: change.phone, previous });
  // The tokens say what the caller proved (session or token) plus the new method; a factor enrolled just now
  // adds no "mfa" to a sign-in that proved one factor.
  const token = await tokensIfAsked(ctx, updated, {
    authenticatedAtSeconds: caller.authenticatedAtSeconds,
    authnVia: [...(caller.session?.authnVia ?? []), `tf:${method}`],
    amr: amrWithEnrolled(callerAuthentication(caller).amr, method),
  });
  // FS: browsers get a flash and go to TWO_FACTOR_POST_SETUP_VIEW (the setup page by default).
  return ok(await signedInPayload(ctx, updated, token), {
    csrf: true,
    browser: {
      redirect: rt.url(tfConfig(rt).setupUrl),
      flash: { category: "success", message: rt.message("TWO_FACTOR_CHANGE_METHOD_SUCCESSFUL") },
    },
  });
}

/** The first code of a signed-in user's new secret: its limit first; a failure is audited as tf_setup, not as a failed sign-in. */
export function setupCodeCredential(
  ctx: RequestContext,
  user: UserRecord,
  code: { method: string; secret: string; code: string; nonce: number },
): CredentialCheck {
  return {
    ...codeCredential(ctx, user, { ...code, audit: "tf_setup", setup: true }),
    dummy: async () => undefined,
  };
}
