import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { humanizeSeconds } from "../../core/humanize.js";
import { deliverMail } from "../../core/mail-delivery.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import type { Caller } from "../../core/identity.js";
import { readInput, str } from "../../core/input.js";
import { drawSetupSmsBudget, newCodeNonce, phoneE164, secretBox, totpConfig } from "../../core/passcodes/index.js";
import { identityAttributes } from "../../core/users.js";
import { generateTotpSecret, qrCodeDataUrl, totpUri } from "../../crypto/totp/index.js";
import { DuplicateError, type UserRecord } from "../../datastore/contracts.js";
import { clearPasscodeAttempts, drawPasscodeAttempt, matchSetupCode, sendSetupCode } from "./codes.js";
import { activeMethods, sealedSecrets, setupMethods, usConfig } from "./methods.js";
import { setupPage } from "./pages.js";
import { tooMany } from "./signin.js";

/**
 * GET/POST /us-setup (fresh sign-in required) and POST /us-setup/<state>. Adding a method: a new secret is
 * made and sealed into a signed state token (bound to the user's fs_uniquifier, US_SETUP_WITHIN); the code
 * for it (sent by email/SMS, or read from the authenticator) commits it at /us-setup/<state>. The write is a
 * compare-and-set merged into the user's current methods, so interleaved setups and removals lose nothing.
 */
const STATE_PURPOSE = "us-setup-state";

async function info(ctx: RequestContext, user: UserRecord): Promise<Record<string, unknown>> {
  return {
    identity_attributes: identityAttributes(ctx.rt),
    available_methods: usConfig(ctx.rt).enabledMethods,
    active_methods: activeMethods(ctx.rt, user),
    setup_methods: setupMethods(ctx.rt),
    phone: user.usPhoneNumber,
  };
}

async function page(ctx: RequestContext, user: UserRecord, extra: Partial<Parameters<typeof setupPage>[1]> = {}, status = 200): Promise<Response> {
  const csrfToken = await issueCsrfToken(ctx);
  const askFactorCode = !!ctx.rt.services.twoFactor?.currentMethod(user);
  const body = setupPage(ctx, { csrfToken, active: activeMethods(ctx.rt, user), available: setupMethods(ctx.rt), phone: user.usPhoneNumber, askFactorCode, ...extra });
  return htmlResponse(ctx, status, body);
}

/** The user's two-factor method (null: none, or two-factor off): a setup state records it (see postSetupState). */
function factorOf(ctx: RequestContext, user: UserRecord): string | null {
  return ctx.rt.services.twoFactor?.currentMethod(user) ?? null;
}

export async function getSetup(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const user = caller!.user;
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { ...(await info(ctx, user)), csrf_token: await issueCsrfToken(ctx) });
  return page(ctx, user);
}

const setupInput = {
  chosen_method: str(32, "US_METHOD_NOT_AVAILABLE"),
  phone: str(64, "PHONE_INVALID"),
  /** The current two-factor authenticator code (decision 44), for callers whose sign-in did not prove it. */
  code: str(64, "TWO_FACTOR_INVALID_TOKEN"),
  // Any name that is not a method (an over-long one too) gets US_METHOD_NOT_AVAILABLE from deleteMethods.
  delete_method: z.union([z.string(), z.array(z.string()).max(10)]).optional(),
};

export async function postSetup(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const user = caller!.user;
  const input = await readInput(ctx, setupInput);
  const fail = async (errors: FieldErrors, status = 400) => (ctx.wantsJson ? formErrorJson(ctx, errors, status) : page(ctx, user, { errors }));
  const veto = await runBeforeHook(ctx, "us_setup", user);
  if (veto) return fail(vetoErrors(veto));
  const toDelete = input.delete_method === undefined ? [] : [input.delete_method].flat().filter(Boolean);
  if (toDelete.length) return deleteMethods(ctx, user, toDelete, fail);
  const method = input.chosen_method ?? "";
  if (!method) return fail({ chosen_method: [{ code: "API_ERROR" }] });
  if (!setupMethods(rt).includes(method)) return fail({ chosen_method: [{ code: "US_METHOD_NOT_AVAILABLE" }] });
  const phone = method === "sms" ? phoneE164(rt, input.phone ?? "") : null;
  if (method === "sms" && !phone) return fail({ phone: [{ code: "PHONE_INVALID" }] });
  // A unified sign-in method signs in without a second factor: for a user with two-factor, adding one needs
  // the current second factor (decision 44), as changing two-factor itself does.
  const refused = await rt.services.twoFactor?.proveCurrentFactor(ctx, caller!, input.code, "us_setup");
  if (refused) return ctx.wantsJson || refused.status === 429 ? refused.json : page(ctx, user, { errors: refused.errors }, refused.status);

  const secret = generateTotpSecret();
  const nonce = newCodeNonce();
  const state = rt.signer.sign(STATE_PURPOSE, { u: user.fsUniquifier, m: method, t: secretBox(rt).seal(secret), p: phone, n: nonce, f: factorOf(ctx, user) }, ctx.nowSeconds());
  const extras: Record<string, unknown> = {};
  if (method === "authenticator") {
    const account = user.username ?? user.email;
    const issuer = totpConfig(rt).issuer!;
    Object.assign(extras, { authr_key: secret, authr_b32key: secret, authr_username: account, authr_issuer: issuer, authr_uri: totpUri({ secret, issuer, account }) });
  } else if (method === "sms" && !(await drawSetupSmsBudget(ctx, user, phone!, "us_code_sent"))) {
    // Over a setup-text budget (SMS pumping): nothing is sent, and the answer does not say so.
  } else if (!(await sendSetupCode(ctx, user, method, secret, phone, nonce))) {
    return fail({ "": [{ code: "FAILED_TO_SEND_CODE" }] }, 500);
  }
  await recordAudit(ctx, { event: "us_setup_started", outcome: "info", user, details: { method } });
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { chosen_method: method, phone, state, ...extras, csrf_token: await issueCsrfToken(ctx) });
  const qr = method === "authenticator" ? await authenticatorQr(ctx, user, secret) : undefined;
  return page(ctx, user, { pending: { state, method, qr } });
}

/** The QR code (and key) an authenticator app scans for this secret. */
async function authenticatorQr(ctx: RequestContext, user: UserRecord, secret: string): Promise<{ dataUrl: string; key: string }> {
  const uri = totpUri({ secret, issuer: totpConfig(ctx.rt).issuer!, account: user.username ?? user.email });
  return { dataUrl: await qrCodeDataUrl(uri), key: secret };
}

/** POST /us-setup/<state>: a correct code for the new secret makes the method the user's. */
export async function postSetupState(ctx: RequestContext, caller: Caller | null, params: Record<string, string>): Promise<Response> {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  let user = caller!.user;
  const input = await readInput(ctx, { passcode: str(64, "INVALID_PASSWORD_CODE") });
  const verified = rt.signer.verify(STATE_PURPOSE, params.state ?? "", { maxAgeSeconds: cfg.setupWithinSeconds, nowSeconds: ctx.nowSeconds() });
  const p = verified.ok ? verified.payload : null;
  const method = typeof p?.m === "string" ? p.m : "";
  const sealed = typeof p?.t === "string" ? p.t : "";
  const phone = typeof p?.p === "string" ? p.p : null;
  const nonce = typeof p?.n === "number" ? p.n : -1;
  const secret = sealed ? secretBox(rt).open(sealed) : null;
  const pendingState = p && typeof params.state === "string" ? { state: params.state, method } : null;
  // A wrong code shows the same set-up page again, QR code included: the user has not scanned it yet, maybe.
  const retry = async () => ({ ...pendingState!, ...(method === "authenticator" && secret ? { qr: await authenticatorQr(ctx, user, secret) } : {}) });
  const fail = async (errors: FieldErrors, status = 400) => (ctx.wantsJson ? formErrorJson(ctx, errors, status) : page(ctx, user, { errors, pending: status === 400 && pendingState && errors.passcode ? await retry() : null }));
  if (!verified.ok && verified.reason === "expired") return fail({ "": [{ code: "US_SETUP_EXPIRED", params: { within: humanizeSeconds(cfg.setupWithinSeconds) } }] });
  // A state minted before the user had two-factor (so without its proof) cannot add a method after.
  const mintedFactor = typeof p?.f === "string" ? p.f : null;
  if (!p || p.u !== user.fsUniquifier || !secret || !setupMethods(rt).includes(method) || nonce < 0 || mintedFactor !== factorOf(ctx, user)) return fail({ "": [{ code: "API_ERROR" }] });
  const passcode = (input.passcode ?? "").replace(/[\s-]+/g, "");
  if (!passcode) return fail({ passcode: [{ code: "PASSCODE_NOT_PROVIDED" }] });
  if (!(await drawPasscodeAttempt(ctx, user))) return tooMany(ctx, user);
  if (!(await matchSetupCode(ctx, user, method, secret, passcode, nonce))) {
    await recordAudit(ctx, { event: "us_setup", outcome: "failure", user, details: { method, reason: "INVALID_PASSWORD_CODE" } });
    return fail({ passcode: [{ code: "INVALID_PASSWORD_CODE" }] });
  }
  await clearPasscodeAttempts(ctx, user);
  try {
    const saved = await saveMethods(ctx, user, (current) => ({ ...current, [method]: sealed }), method === "sms" ? phone : undefined);
    if (!saved) return fail({ "": [{ code: "API_ERROR" }] });
    user = saved;
  } catch (error) {
    if (error instanceof DuplicateError && error.field === "us_phone_number") {
      return fail({ phone: [{ code: "IDENTITY_ALREADY_ASSOCIATED", params: { attr: "us_phone_number", value: phone ?? "" } }] });
    }
    throw error;
  }
  // An email code received while signed in proves the mailbox.
  if (method === "email" && !user.confirmedAt) await rt.datastore.users.markConfirmed(user.id, ctx.now(), { fsUniquifier: user.fsUniquifier, email: user.email });
  await recordAudit(ctx, { event: "us_setup", outcome: "success", user, details: { method } });
  await rt.events.emit("us_profile_changed", { user, methods: [method], delete: false });
  await notify(ctx, user, [method], false);
  await runAfterHook(ctx, "us_setup", user);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { chosen_method: method, phone: user.usPhoneNumber, csrf_token: await issueCsrfToken(ctx) });
  if (cfg.postSetupView) return redirectResponse(ctx, cfg.postSetupView);
  return page(ctx, user, { flashes: [{ category: "success", message: rt.message("US_SETUP_SUCCESSFUL") }] });
}

async function deleteMethods(ctx: RequestContext, user: UserRecord, methods: string[], fail: (errors: FieldErrors) => Promise<Response>): Promise<Response> {
  const { rt } = ctx;
  const removable = setupMethods(rt);
  if (methods.some((m) => !removable.includes(m))) return fail({ delete_method: [{ code: "US_METHOD_NOT_AVAILABLE" }] });
  const remaining = activeMethods(rt, user).filter((m) => !methods.includes(m));
  if (remaining.length === 0) return fail({ delete_method: [{ code: "US_LAST_METHOD" }] });
  const saved = await saveMethods(ctx, user, (current) => Object.fromEntries(Object.entries(current).filter(([m]) => !methods.includes(m))), methods.includes("sms") ? null : undefined);
  if (!saved) return fail({ "": [{ code: "API_ERROR" }] });
  await recordAudit(ctx, { event: "us_setup", outcome: "success", user: saved, details: { deleted: methods } });
  await rt.events.emit("us_profile_changed", { user: saved, methods, delete: true });
  await notify(ctx, saved, methods, true);
  await runAfterHook(ctx, "us_setup", saved);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { ...(await info(ctx, saved)), csrf_token: await issueCsrfToken(ctx) });
  return page(ctx, saved);
}

/**
 * Applies `change` to the user's current sealed secrets (and sets the phone unless `phone` is undefined) by
 * compare-and-set, re-reading and retrying when another setup changed them in between. Null: user gone.
 */
async function saveMethods(ctx: RequestContext, user: UserRecord, change: (current: Record<string, string>) => Record<string, string>, phone: string | null | undefined): Promise<UserRecord | null> {
  const users = ctx.rt.datastore.users;
  let current: UserRecord | null = user;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    const next = change(sealedSecrets(current));
    const nextSecrets = Object.keys(next).length ? JSON.stringify(next) : null;
    const nextPhone = phone === undefined ? (next.sms ? current.usPhoneNumber : null) : phone;
    if (await users.replaceUsMethods(current.id, { secrets: current.usTotpSecrets, phone: current.usPhoneNumber }, { secrets: nextSecrets, phone: nextPhone })) {
      return users.findById(current.id);
    }
    current = await users.findById(current.id);
  }
  return null;
}

/** Every added or removed way to sign in is told to the account's mailbox (after the change is committed). */
async function notify(ctx: RequestContext, user: UserRecord, methods: string[], removed: boolean): Promise<void> {
  const context = { subject: usConfig(ctx.rt).noticeSubject, methods: methods.join(", "), removed, email: user.email };
  await deliverMail(ctx, "us_methods_changed", user.email, context, user);
}
