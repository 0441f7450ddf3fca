import { reauthRequired } from "../../core/access.js";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { humanizeSeconds } from "../../core/humanize.js";
import { isFresh, type Caller } from "../../core/identity.js";
import { takeFlashes } from "../../core/http/flash.js";
import { formErrorJson, htmlResponse, jsonResponse, plainErrorJson, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import { readInput, str } from "../../core/input.js";
import { deliverMail } from "../../core/mail-delivery.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { qrCodeDataUrl } from "../../crypto/totp/index.js";
import { availableMethods, checkCode, clearAttempts, drawAttempt } from "./codes.js";
import { setupPage } from "./pages.js";
import { proveCurrentFactor } from "./fresh-factor.js";
import { beginSetup, setupInfo } from "./setup.js";
import { clearPending, primaryMethod, readPending, secretBox, setPending, tfConfig, type PendingState } from "./state.js";

/**
 * Setup by a signed-in user: POST /tf-setup (fresh) returns a signed `tf_state_token` carrying the sealed new
 * secret and sets the same change as the pending cookie (FS's "changing" state). Either POST /tf-setup/<token>
 * (no cookies needed) or POST /tf-validate (setup-changing.ts) with a correct code commits it.
 * `setup: "disable"` switches two-factor off (not when it is required).
 *
 * SECURITY I72: when the user already has a method, disabling or replacing it needs — besides the usual
 * freshness — proof of that second factor: the session's own sign-in proved a second factor (authnVia
 * "tf:<method>", written by the sign-in pipeline) within the freshness window, or the current authenticator
 * code comes with the request as `code`. Both changes mail the user a notice.
 */
const STATE_PURPOSE = "tf-setup-state";

export async function authenticatedGet(ctx: RequestContext, caller: Caller): Promise<Response> {
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { ...setupInfo(ctx, caller.user), csrf_token: csrfToken });
  return htmlResponse(ctx, 200, setupPage(ctx, { csrfToken, methods: availableMethods(ctx), current: currentOf(ctx, caller.user), flashes: takeFlashes(ctx) }));
}

/** The page's "current method" block: shown (code field, disable option) only to users with a method. */
function currentOf(ctx: RequestContext, user: UserRecord): { method: string; canDisable: boolean } | null {
  const method = primaryMethod(user);
  return method ? { method, canDisable: !tfConfig(ctx.rt).required } : null;
}

export async function authenticatedPost(ctx: RequestContext, caller: Caller, input: { setup?: string | undefined; phone?: string | undefined; code?: string | undefined }): Promise<Response> {
  const { rt } = ctx;
  if (!(await isFresh(ctx, caller))) return reauthRequired(ctx);
  const user = caller.user;
  const cfg = tfConfig(rt);
  const fail = async (errors: FieldErrors, status = 400) =>
    ctx.wantsJson ? formErrorJson(ctx, errors, status) : htmlResponse(ctx, status >= 500 ? status : 200, setupPage(ctx, { csrfToken: await issueCsrfToken(ctx), methods: availableMethods(ctx), errors, current: currentOf(ctx, user) }));
  const method = input.setup ?? "";
  if ((method === "disable" && cfg.required) || (method !== "disable" && !availableMethods(ctx).includes(method))) {
    return fail({ setup: [{ code: "TWO_FACTOR_METHOD_NOT_AVAILABLE" }] });
  }
  const refused = await secondFactorProof(ctx, caller, input.code);
  if (refused) return refused;
  if (method === "disable") {
    await rt.datastore.users.update(user.id, { tfPrimaryMethod: null, tfTotpSecret: null, tfPhoneNumber: null });
    const updated = (await rt.datastore.users.findById(user.id)) ?? user;
    await recordAudit(ctx, { event: "tf_disable", outcome: "success", user: updated });
    await rt.events.emit("tf_disabled", { user: updated });
    await notify(ctx, updated, "disabled", null);
    if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, updated, null));
    return htmlResponse(ctx, 200, setupPage(ctx, { csrfToken: await issueCsrfToken(ctx), methods: availableMethods(ctx) }));
  }
  const begun = await beginSetup(ctx, user, method, input.phone);
  if ("errors" in begun) return fail(begun.errors, begun.status);
  const previous = primaryMethod(user);
  const stateToken = rt.signer.sign(STATE_PURPOSE, { u: user.fsUniquifier, m: method, t: begun.sealed, p: begun.phone, n: begun.nonce, pm: previous }, ctx.nowSeconds());
  // FS's "changing" state: the same new secret also waits in the pending cookie, so a browser or an SPA with
  // cookies finishes at /tf-validate {code}; clients without cookies use the state token.
  const changing: PendingState = { u: user.fsUniquifier, s: "validating_profile", m: method, r: false, v: [], t: begun.sealed, n: begun.nonce, c: true };
  if (begun.phone) changing.p = begun.phone;
  if (previous) changing.o = previous;
  setPending(ctx, changing);
  await recordAudit(ctx, { event: "tf_setup_started", outcome: "info", user, details: { method, via: "authenticated" } });
  const csrfToken = await issueCsrfToken(ctx);
  // FS answers the chosen method in both fields (tf_primary_method is its older name).
  const payload = { tf_state: "validating_profile", tf_method: method, tf_primary_method: method, tf_state_token: stateToken, ...begun.extras, csrf_token: csrfToken };
  if (ctx.wantsJson) return jsonResponse(ctx, 200, payload);
  const qr = method === "authenticator" ? { dataUrl: await qrCodeDataUrl(begun.extras.tf_authr_uri as string), key: begun.secret } : null;
  return htmlResponse(ctx, 200, setupPage(ctx, { csrfToken, methods: availableMethods(ctx), qr, validating: true }));
}

/** POST /tf-setup/<state>: commits the setup the state token describes after a correct code. */
export async function postSetupState(ctx: RequestContext, caller: Caller | null, params: Record<string, string>): Promise<Response> {
  const { rt } = ctx;
  const cfg = tfConfig(rt);
  const input = await readInput(ctx, { code: str(64, "TWO_FACTOR_INVALID_TOKEN") });
  const user = caller!.user;
  const verified = rt.signer.verify(STATE_PURPOSE, params.token ?? "", { maxAgeSeconds: cfg.setupWithinSeconds, nowSeconds: ctx.nowSeconds() });
  if (!verified.ok && verified.reason === "expired") {
    return plainErrorJson(ctx, 400, [{ code: "TWO_FACTOR_SETUP_EXPIRED", params: { within: humanizeSeconds(cfg.setupWithinSeconds) } }]);
  }
  const p = verified.ok ? verified.payload : null;
  const method = typeof p?.m === "string" ? p.m : null;
  const sealed = typeof p?.t === "string" ? p.t : null;
  const secret = sealed ? secretBox(rt).open(sealed) : null;
  // The token also names the method it was minted against (pm): a token minted before a method existed
  // (freshness only) cannot later replace one without the I72 proof.
  const previous = primaryMethod(user);
  if (!p || p.u !== user.fsUniquifier || (p.pm ?? null) !== previous || !method || !availableMethods(ctx).includes(method) || !secret || (method === "sms" && typeof p.p !== "string")) {
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
  // The same change may also wait in the pending cookie: it is settled now.
  const pending = await readPending(ctx);
  if (pending?.state.c) clearPending(ctx);
  const updated = await commitSetup(ctx, user, { method, sealed: sealed!, phone, previous });
  return jsonResponse(ctx, 200, { tf_method: method, tf_primary_method: method, tf_phone: updated.tfPhoneNumber, csrf_token: await issueCsrfToken(ctx) });
}

/** Makes a validated new method the user's (event, audit, and the notice when it replaced one). */
export async function commitSetup(ctx: RequestContext, user: UserRecord, change: { method: string; sealed: string; phone: string | null; previous: string | null }): Promise<UserRecord> {
  const { rt } = ctx;
  const { method, previous } = change;
  await rt.datastore.users.update(user.id, { tfPrimaryMethod: method, tfTotpSecret: change.sealed, tfPhoneNumber: method === "sms" ? change.phone : null });
  const updated = (await rt.datastore.users.findById(user.id)) ?? user;
  await recordAudit(ctx, { event: "tf_setup", outcome: "success", user: updated, details: { method, via: "authenticated" } });
  await rt.events.emit("tf_profile_changed", { user: updated, method });
  if (previous) await notify(ctx, updated, "changed", method);
  return updated;
}

/** Decision 44 proof (fresh-factor.ts), refused on this setup page. */
async function secondFactorProof(ctx: RequestContext, caller: Caller, code: string | undefined): Promise<Response | null> {
  const refused = await proveCurrentFactor(ctx, caller, code, "tf_setup");
  if (!refused) return null;
  if (ctx.wantsJson || refused.status === 429) return refused.json;
  return htmlResponse(ctx, refused.status, setupPage(ctx, { csrfToken: await issueCsrfToken(ctx), methods: availableMethods(ctx), errors: refused.errors, current: currentOf(ctx, caller.user) }));
}
/** The I72 notice to the account's address; a delivery failure is logged and audited, never fatal. */
async function notify(ctx: RequestContext, user: UserRecord, change: "disabled" | "changed", method: string | null): Promise<void> {
  const cfg = tfConfig(ctx.rt);
  await deliverMail(ctx, "two_factor_changed", user.email, { subject: cfg.noticeSubject, username: user.username ?? user.email, change, method }, user);
}
