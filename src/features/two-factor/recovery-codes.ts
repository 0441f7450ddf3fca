import { randomBytes } from "node:crypto";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { formErrorJson, htmlResponse, jsonResponse, plainErrorJson, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import type { Caller } from "../../core/identity.js";
import { readInput, str } from "../../core/input.js";
import { sha256Hex } from "../../crypto/random.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { clearAttempts, drawAttempt } from "./codes.js";
import { codesPage, recoveryPage } from "./recovery-pages.js";
import { proveCurrentFactor } from "./fresh-factor.js";
import { clearPending, consumePending, primaryMethod, readPending, tfConfig } from "./state.js";
import { permissionDenied } from "./validate.js";

/**
 * Multi-factor recovery codes (FS MULTI_FACTOR_RECOVERY_CODES). A code is 64 random bits shown once as
 * `xxxx-xxxx-xxxx-xxxx`; the user's row keeps only SHA-256 hex digests of the normalized codes, as a JSON array
 * in `mf_recovery_codes`. Generating replaces the whole set and consuming removes one digest, both through the
 * datastore's compare-and-set `replaceRecoveryCodes`, so one code completes at most one sign-in.
 */

/** A fresh code: 8 bytes from the CSPRNG as 16 hex digits in groups of four. */
export function newRecoveryCode(): string {
  return (randomBytes(8).toString("hex").match(/.{4}/g) ?? []).join("-");
}

/** Typed input → the canonical 16 hex digits (trimmed, lower-case, dashes and spaces optional), or null. */
export function normalizeRecoveryCode(raw: string): string | null {
  const compact = raw.trim().toLowerCase().replace(/[\s-]+/g, "");
  return /^[0-9a-f]{16}$/.test(compact) ? compact : null;
}

export function hashRecoveryCode(normalized: string): string {
  return sha256Hex(normalized);
}

/** The stored digests; anything unreadable counts as no codes. */
export function storedDigests(user: UserRecord): string[] {
  if (!user.mfRecoveryCodes) return [];
  try {
    const parsed: unknown = JSON.parse(user.mfRecoveryCodes);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export function hasRecoveryCodes(ctx: RequestContext, user: UserRecord): boolean {
  return tfConfig(ctx.rt).recoveryCodes && storedDigests(user).length > 0;
}

/** GET /mf-recovery-codes (fresh): how many codes are left — never the codes, which are stored hashed. */
export async function getRecoveryCodes(ctx: RequestContext, caller: Caller): Promise<Response> {
  const user = (await ctx.rt.datastore.users.findById(caller.user.id)) ?? caller.user;
  const left = storedDigests(user).length;
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { recovery_codes: [], codes_left: left, csrf_token: csrfToken });
  return htmlResponse(ctx, 200, codesPage(ctx, { csrfToken, codes: null, left, askFactorCode: !!primaryMethod(user) }));
}

/**
 * POST /mf-recovery-codes (fresh, CSRF): a new set replaces the old one atomically; the plain codes are answered
 * once. Each code stands in for the second factor once, so a user with two-factor also proves the current one
 * (decision 44): the session's sign-in did, or `code` is the current authenticator code.
 */
export async function postRecoveryCodes(ctx: RequestContext, caller: Caller): Promise<Response> {
  const { rt } = ctx;
  const input = await readInput(ctx, { code: str(64, "TWO_FACTOR_INVALID_TOKEN") });
  const refused = await proveCurrentFactor(ctx, caller, input.code, "mf_recovery_codes_generated");
  if (refused) {
    if (ctx.wantsJson || refused.status === 429) return refused.json;
    const left = storedDigests(caller.user).length;
    return htmlResponse(ctx, refused.status, codesPage(ctx, { csrfToken: await issueCsrfToken(ctx), codes: null, left, askFactorCode: true, errors: refused.errors }));
  }
  const codes = Array.from({ length: tfConfig(rt).recoveryCodesN }, () => newRecoveryCode());
  const next = JSON.stringify(codes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c)!)));
  let user = caller.user;
  let stored = false;
  // Compare-and-set against the value just read; a concurrent change (another generation, a consumed code) → retry once.
  for (let attempt = 0; attempt < 2 && !stored; attempt++) {
    user = (await rt.datastore.users.findById(caller.user.id)) ?? user;
    stored = await rt.datastore.users.replaceRecoveryCodes(user.id, user.mfRecoveryCodes, next);
  }
  if (!stored) {
    await recordAudit(ctx, { event: "mf_recovery_codes_generated", outcome: "failure", user, details: { reason: "concurrent_change" } });
    return plainErrorJson(ctx, 409, [{ code: "API_ERROR" }]);
  }
  await recordAudit(ctx, { event: "mf_recovery_codes_generated", outcome: "success", user, details: { count: codes.length } });
  await rt.events.emit("mf_recovery_codes_generated", { user, count: codes.length });
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { recovery_codes: codes, csrf_token: csrfToken });
  return htmlResponse(ctx, 200, codesPage(ctx, { csrfToken, codes, left: codes.length, askFactorCode: !!primaryMethod(user) }));
}

/** GET /mf-recovery: the code form, during a pending sign-in (state `ready`). */
export async function getRecovery(ctx: RequestContext): Promise<Response> {
  const pending = await readPending(ctx);
  if (!pending || pending.state.s !== "ready") return permissionDenied(ctx);
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { csrf_token: csrfToken });
  return htmlResponse(ctx, 200, recoveryPage(ctx, { csrfToken }));
}

/** Removes `digest` from the user's set (compare-and-set); false when it is not (or no longer) there. */
async function consumeDigest(ctx: RequestContext, user: UserRecord, digest: string): Promise<{ ok: boolean; left: number }> {
  let current = user;
  for (let attempt = 0; attempt < 2; attempt++) {
    const digests = storedDigests(current);
    if (!digests.includes(digest)) return { ok: false, left: digests.length };
    const rest = digests.filter((d) => d !== digest);
    if (await ctx.rt.datastore.users.replaceRecoveryCodes(current.id, current.mfRecoveryCodes, JSON.stringify(rest))) return { ok: true, left: rest.length };
    // Lost a race (another code consumed, or a new set): re-read and decide again.
    const fresh = await ctx.rt.datastore.users.findById(current.id);
    if (!fresh) return { ok: false, left: 0 };
    current = fresh;
  }
  return { ok: false, left: storedDigests(current).length };
}

/** POST /mf-recovery {code}: a stored recovery code completes the pending sign-in (no auth token, no tf_validity). */
export async function postRecovery(ctx: RequestContext): Promise<Response> {
  const { rt } = ctx;
  const input = await readInput(ctx, { code: str(64, "INVALID_RECOVERY_CODE") });
  const pending = await readPending(ctx);
  if (!pending || pending.state.s !== "ready") return permissionDenied(ctx);
  const { state, user } = pending;
  const fail = async (errors: FieldErrors, status = 400): Promise<Response> =>
    ctx.wantsJson ? formErrorJson(ctx, errors, status) : htmlResponse(ctx, status >= 500 ? status : 200, recoveryPage(ctx, { csrfToken: await issueCsrfToken(ctx), errors }));

  const veto = await runBeforeHook(ctx, "mf_recovery", user);
  if (veto) return fail(vetoErrors(veto));
  const spent = await drawAttempt(ctx, user);
  if (spent) return spent;
  const normalized = normalizeRecoveryCode(input.code ?? "");
  const used = normalized ? await consumeDigest(ctx, user, hashRecoveryCode(normalized)) : { ok: false, left: storedDigests(user).length };
  if (!used.ok) {
    await rt.events.emit("user_failed_authn", { user, identity: user.email, authType: "tf", reason: "INVALID_RECOVERY_CODE" });
    await recordAudit(ctx, { event: "mf_recovery", outcome: "failure", user });
    return fail({ code: [{ code: "INVALID_RECOVERY_CODE" }] });
  }
  await clearAttempts(ctx, user);
  await recordAudit(ctx, { event: "mf_recovery_code_used", outcome: "success", user, details: { codes_left: used.left } });
  if (!(await consumePending(ctx, pending))) {
    clearPending(ctx);
    return permissionDenied(ctx);
  }
  const result = await rt.pipeline.signIn(ctx, { user, authnVia: [...state.v], remember: state.r, kind: "session", includeAuthToken: false, secondFactor: "recovery_code" });
  clearPending(ctx);
  if (result.kind === "deny") return fail({ "": [{ code: result.code, params: result.params }] }, result.status ?? 400);
  if (result.kind === "interrupt") return jsonResponse(ctx, result.status ?? 200, { ...result.response, csrf_token: await issueCsrfToken(ctx) });
  await recordAudit(ctx, { event: "mf_recovery", outcome: "success", user, details: { codes_left: used.left } });
  await rt.events.emit("mf_recovery_code_used", { user, codesLeft: used.left });
  await runAfterHook(ctx, "mf_recovery", user);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, user, null));
  return redirectResponse(ctx, rt.config.urls.postLoginView);
}
