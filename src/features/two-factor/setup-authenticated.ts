import { reauthRequired } from "../../core/access.js";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { humanizeSeconds } from "../../core/humanize.js";
import { isFresh, type Caller } from "../../core/identity.js";
import { formErrorJson, htmlResponse, jsonResponse, plainErrorJson, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import { readInput, str } from "../../core/input.js";
import { qrCodeDataUrl } from "../../crypto/totp/index.js";
import { availableMethods, checkCode, clearAttempts, drawAttempt } from "./codes.js";
import { setupPage } from "./pages.js";
import { beginSetup, setupInfo } from "./setup.js";
import { secretBox, tfConfig } from "./state.js";

/**
 * Setup by a signed-in user (no cookies needed): POST /tf-setup (fresh) returns a signed `tf_state_token`
 * carrying the sealed new secret; POST /tf-setup/<token> with a correct code commits it. `setup: "disable"`
 * switches two-factor off (not when it is required).
 */
const STATE_PURPOSE = "tf-setup-state";

export async function authenticatedGet(ctx: RequestContext, caller: Caller): Promise<Response> {
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { ...setupInfo(ctx, caller.user), csrf_token: csrfToken });
  return htmlResponse(ctx, 200, setupPage(ctx, { csrfToken, methods: availableMethods(ctx) }));
}

export async function authenticatedPost(ctx: RequestContext, caller: Caller, input: { setup?: string | undefined; phone?: string | undefined }): Promise<Response> {
  const { rt } = ctx;
  if (!(await isFresh(ctx, caller))) return reauthRequired(ctx);
  const user = caller.user;
  const cfg = tfConfig(rt);
  const fail = async (errors: FieldErrors, status = 400) =>
    ctx.wantsJson ? formErrorJson(ctx, errors, status) : htmlResponse(ctx, status >= 500 ? status : 200, setupPage(ctx, { csrfToken: await issueCsrfToken(ctx), methods: availableMethods(ctx), errors }));
  const method = input.setup ?? "";
  if (method === "disable") {
    if (cfg.required) return fail({ setup: [{ code: "TWO_FACTOR_METHOD_NOT_AVAILABLE" }] });
    await rt.datastore.users.update(user.id, { tfPrimaryMethod: null, tfTotpSecret: null, tfPhoneNumber: null });
    const updated = (await rt.datastore.users.findById(user.id)) ?? user;
    await recordAudit(ctx, { event: "tf_disable", outcome: "success", user: updated });
    await rt.events.emit("tf_disabled", { user: updated });
    if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, updated, null));
    return htmlResponse(ctx, 200, setupPage(ctx, { csrfToken: await issueCsrfToken(ctx), methods: availableMethods(ctx) }));
  }
  if (!availableMethods(ctx).includes(method)) return fail({ setup: [{ code: "TWO_FACTOR_METHOD_NOT_AVAILABLE" }] });
  const begun = await beginSetup(ctx, user, method, input.phone);
  if ("errors" in begun) return fail(begun.errors, begun.status);
  const stateToken = rt.signer.sign(STATE_PURPOSE, { u: user.fsUniquifier, m: method, t: begun.sealed, p: begun.phone, n: begun.nonce }, ctx.nowSeconds());
  await recordAudit(ctx, { event: "tf_setup_started", outcome: "info", user, details: { method, via: "authenticated" } });
  const csrfToken = await issueCsrfToken(ctx);
  const payload = { tf_state: "validating_profile", tf_method: method, tf_primary_method: user.tfPrimaryMethod, tf_state_token: stateToken, ...begun.extras, csrf_token: csrfToken };
  if (ctx.wantsJson) return jsonResponse(ctx, 200, payload);
  const qr = method === "authenticator" ? { dataUrl: await qrCodeDataUrl(begun.extras.tf_authr_uri as string), key: begun.secret } : null;
  return htmlResponse(ctx, 200, setupPage(ctx, { csrfToken, methods: availableMethods(ctx), qr }));
}

/** POST /tf-setup/<state>: commits the setup the state token describes after a correct code. */
export async function postSetupState(ctx: RequestContext, caller: Caller | null, params: Record<string, string>): Promise<Response> {
  const { rt } = ctx;
  const cfg = tfConfig(rt);
  const input = await readInput(ctx, { code: str(64) });
  const user = caller!.user;
  const verified = rt.signer.verify(STATE_PURPOSE, params.token ?? "", { maxAgeSeconds: cfg.setupWithinSeconds, nowSeconds: ctx.nowSeconds() });
  if (!verified.ok && verified.reason === "expired") {
    return plainErrorJson(ctx, 400, [{ code: "TWO_FACTOR_SETUP_EXPIRED", params: { within: humanizeSeconds(cfg.setupWithinSeconds) } }]);
  }
  const p = verified.ok ? verified.payload : null;
  const method = typeof p?.m === "string" ? p.m : null;
  const sealed = typeof p?.t === "string" ? p.t : null;
  const secret = sealed ? secretBox(rt).open(sealed) : null;
  if (!p || p.u !== user.fsUniquifier || !method || !availableMethods(ctx).includes(method) || !secret || (method === "sms" && typeof p.p !== "string")) {
    return plainErrorJson(ctx, 400, [{ code: "API_ERROR" }]);
  }
  const spent = await drawAttempt(ctx, user);
  if (spent) return spent;
  const nonce = typeof p.n === "number" && Number.isInteger(p.n) ? p.n : 0;
  if (!(await checkCode(ctx, user, method, secret, (input.code ?? "").replace(/\s+/g, ""), nonce))) {
    await recordAudit(ctx, { event: "tf_setup", outcome: "failure", user, details: { method } });
    return formErrorJson(ctx, { code: [{ code: "TWO_FACTOR_INVALID_TOKEN" }] });
  }
  await clearAttempts(ctx, user);
  const phone = method === "sms" && typeof p.p === "string" ? p.p : null;
  await rt.datastore.users.update(user.id, { tfPrimaryMethod: method, tfTotpSecret: sealed!, tfPhoneNumber: phone });
  const updated = (await rt.datastore.users.findById(user.id)) ?? user;
  await recordAudit(ctx, { event: "tf_setup", outcome: "success", user: updated, details: { method, via: "authenticated" } });
  await rt.events.emit("tf_profile_changed", { user: updated, method });
  return jsonResponse(ctx, 200, { tf_method: method, tf_primary_method: method, tf_phone: updated.tfPhoneNumber, csrf_token: await issueCsrfToken(ctx) });
}
