import type { AuthnMethod } from "../../core/methods.js";
import type { RequestContext } from "../../core/context.js";
import type { SecondFactorPlugin } from "../../core/services.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { newCodeNonce, sendCode } from "./codes.js";
import { primaryMethod, secretBox, tfConfig, type TfStep } from "./state.js";

/**
 * A user's second factors: their code method (tf_primary_method) plus every plugin other features provide
 * through `rt.services.secondFactors` (WebAuthn will be the first). One factor → the "ready" answer at once;
 * several → the select step (/tf-select) chooses one, then the same "ready" answer.
 */

/**
 * What a started factor answers: FS's "ready" payload and the page a browser continues on (or a send failure),
 * and the step the pending sign-in now waits at.
 */
export interface StartAnswer {
  status?: number;
  response: Record<string, unknown>;
  redirect?: string;
  step: TfStep;
}

function plugins(ctx: RequestContext): SecondFactorPlugin[] {
  return ctx.rt.services.secondFactors ?? [];
}

/** Names of the second factors this user has set up, the code method first. */
export async function setUpFactors(ctx: RequestContext, user: UserRecord): Promise<string[]> {
  const names: string[] = [];
  const code = primaryMethod(user);
  if (code) names.push(code);
  for (const plugin of plugins(ctx)) {
    if (!names.includes(plugin.name) && (await plugin.isSetUp(user))) names.push(plugin.name);
  }
  return names;
}

/**
 * Starts `method` (one of setUpFactors) for a pending sign-in: the step "ready" and FS's login payload. Code
 * methods send their code now (email/sms); plugins add their own extras and complete with `pipeline.resume`.
 */
export async function startFactor(
  ctx: RequestContext,
  user: UserRecord,
  attempt: { remember: boolean; authnVia: readonly AuthnMethod[] },
  method: string,
): Promise<StartAnswer> {
  const cfg = tfConfig(ctx.rt);
  const plugin = method === primaryMethod(user) ? null : plugins(ctx).find((p) => p.name === method);
  if (plugin) {
    const step: TfStep = { state: "ready", method };
    const extras = await plugin.begin(ctx, user, { remember: attempt.remember, authnVia: [...attempt.authnVia] });
    const response = { tf_required: true, tf_state: "ready", tf_method: method, ...extras };
    return typeof extras.tf_signin_url === "string"
      ? { response, redirect: extras.tf_signin_url, step }
      : { response, step };
  }
  const n = newCodeNonce();
  const step: TfStep = { state: "ready", method, nonce: n };
  if (method === "email" || method === "sms") {
    const secret = secretBox(ctx.rt).open(user.tfTotpSecret!);
    if (!secret || !(await sendCode(ctx, user, method, secret, user.tfPhoneNumber, n))) {
      return {
        status: 500,
        response: { errors: [ctx.rt.message("FAILED_TO_SEND_CODE")], error_codes: ["FAILED_TO_SEND_CODE"] },
        step,
      };
    }
  }
  return {
    response: { tf_required: true, tf_state: "ready", tf_primary_method: method, tf_method: method },
    redirect: ctx.rt.url(cfg.validateUrl),
    step,
  };
}
