import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { flag, readInput, text } from "../../core/input.js";
import type { Caller } from "../../core/identity.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { safeRedirect } from "../../core/http/redirects.js";
import { takeFlashes } from "../../core/http/flash.js";
import { interruptResponse } from "../../core/http/interrupt.js";
import { identityAttributes } from "../../core/users.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { loginPage } from "./pages.js";
import { userPayload } from "../../core/http/user-payload.js";
import { recordAudit } from "../../core/audit.js";

/**
 * GET/POST /login: password sign-in. The password is always hashed (a dummy hash for unknown users) so
 * timing does not tell whether an account exists; status checks (active, confirmed, locked…) run in the
 * sign-in pipeline only after the password verified. With generic responses on (the default) every
 * failure reads the same.
 */
export async function getLogin(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  if (ctx.wantsJson) {
    const response: Record<string, unknown> = { identity_attributes: identityAttributes(rt), csrf_token: await issueCsrfToken(ctx) };
    if (caller) response.user = await rt.serializeUser(caller.user);
    return jsonResponse(ctx, 200, response);
  }
  if (caller) return redirectResponse(ctx, rt.config.urls.postLoginView);
  const next = safeRedirect(ctx.url.searchParams.get("next"), ctx.appOrigin(), rt.config);
  return htmlResponse(ctx, 200, loginPage(ctx, { csrfToken: await issueCsrfToken(ctx), next, flashes: takeFlashes(ctx) }));
}

const loginInput = { email: text(), username: text(), password: text(), remember: flag, next: text() };

export function looksLikeEmail(value: string): boolean {
  // Syntax only (login never needs deliverability): one @, non-empty parts, no spaces or controls.
  return /^[^\s@\u0000-\u001f]+@[^\s@\u0000-\u001f]+$/.test(value) && value.length <= 320;
}

export async function postLogin(ctx: RequestContext): Promise<Response> {
  const { rt } = ctx;
  const input = await readInput(ctx, loginInput);
  const remember = input.remember ?? rt.config.defaultRememberMe;
  const rawNext = input.next ?? ctx.url.searchParams.get("next");
  const identityField = rt.config.username.enable && input.username !== undefined && !input.email ? "username" : "email";
  const identity = (identityField === "username" ? input.username : input.email)?.trim() ?? "";

  const fail = async (errors: FieldErrors): Promise<Response> => {
    if (ctx.wantsJson) return formErrorJson(ctx, errors);
    return htmlResponse(ctx, 200, loginPage(ctx, { csrfToken: await issueCsrfToken(ctx), identity, next: safeRedirect(rawNext, ctx.appOrigin(), rt.config), remember, errors }));
  };

  const shapeErrors: FieldErrors = {};
  let next: string | null = null;
  if (rawNext) {
    next = safeRedirect(rawNext, ctx.appOrigin(), rt.config);
    if (!next) shapeErrors.next = [{ code: "INVALID_REDIRECT" }];
  }
  if (!identity) shapeErrors[identityField] = [{ code: identityField === "email" ? "EMAIL_NOT_PROVIDED" : "USERNAME_NOT_PROVIDED" }];
  else if (identityField === "email" && !looksLikeEmail(identity)) shapeErrors.email = [{ code: "INVALID_EMAIL_ADDRESS" }];
  if (!input.password) shapeErrors.password = [{ code: "PASSWORD_NOT_PROVIDED" }];
  if (Object.keys(shapeErrors).length) return fail(shapeErrors);
  const password = input.password!;

  const users = rt.datastore.users;
  // A username far longer than any stored one can name nobody: no lookup (it answers as an unknown user).
  const impossible = identityField === "username" && identity.length > rt.config.username.maxLength * 8;
  const user = impossible ? null : identityField === "username" ? await users.findByUsername(identity.normalize("NFKD")) : await users.findByEmail(identity);
  const veto = await runBeforeHook(ctx, "login", user);
  if (veto) return fail(vetoErrors(veto));

  const failed = async (field: string, code: "USER_DOES_NOT_EXIST" | "INVALID_PASSWORD", u: UserRecord | null) => {
    await rt.events.emit("user_failed_authn", { user: u, identity, authType: "password", reason: code });
    await recordAudit(ctx, { event: "login", outcome: "failure", user: u, identity, details: { reason: code } });
    return fail(rt.config.returnGenericResponses ? { "": [{ code: "GENERIC_AUTHN_FAILED" }] } : { [field]: [{ code }] });
  };

  if (!user || !user.password) {
    await rt.hasher.dummyVerify(password);
    return user ? failed("password", "INVALID_PASSWORD", user) : failed(identityField, "USER_DOES_NOT_EXIST", null);
  }
  const verdict = await rt.hasher.verify(password, user.password);
  if (!verdict.valid) return failed("password", "INVALID_PASSWORD", user);
  if (verdict.needsRehash) await rehash(ctx, user, password);

  const result = await rt.pipeline.signIn(ctx, { user, authnVia: ["password"], remember, kind: "session", includeAuthToken: ctx.includeAuthToken() });
  if (result.kind === "deny") {
    const field = result.field === "email" ? identityField : result.field;
    return fail(rt.config.returnGenericResponses ? { "": [{ code: "GENERIC_AUTHN_FAILED" }] } : { [field]: [{ code: result.code, params: result.params }] });
  }
  if (result.kind === "interrupt") return interruptResponse(ctx, result);
  await runAfterHook(ctx, "login", user);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, await userPayload(ctx, user, result.authToken, { tf_required: false }));
  return redirectResponse(ctx, next ?? rt.config.urls.postLoginView);
}

/** Transparent upgrade of an old or weaker hash after a successful verify (compare-and-set, never on failure). */
async function rehash(ctx: RequestContext, user: UserRecord, password: string): Promise<void> {
  const { rt } = ctx;
  const old = user.password!;
  try {
    const next = await rt.hasher.hash(password);
    if (await rt.datastore.users.replacePasswordHash(user.id, old, next)) {
      user.password = next;
      await rt.events.emit("password_rehashed", { user, from: old.split("$")[1] ?? "unknown" });
    }
  } catch (error) {
    rt.logger.warn(`password rehash skipped for user ${user.id}: ${(error as Error).message}`);
  }
}
