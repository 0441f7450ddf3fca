import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { formErrorJson, htmlResponse, jsonResponse, renderMessages, type FieldErrors } from "../../core/http/respond.js";
import type { Caller } from "../../core/identity.js";
import { parseUserField } from "../../core/public-user.js";
import { profilePage } from "./pages.js";

/**
 * GET /profile answers the caller's serialized user; PUT /profile takes a JSON object of app-declared fields
 * and changes only those declared updatable (`update !== false`), each checked with its own schema. Anything
 * else — roles, active, email, password, uniquifiers, two-factor state, ids, timestamps, or a name the app
 * never declared — fails the whole request with a field error naming it, and nothing is written (mass
 * assignment, SECURITY.md L85). Email, username and password have their own flows.
 */
const RESERVED = new Set([
  "id",
  "email",
  "username",
  "password",
  "active",
  "roles",
  "permissions",
  "confirmed_at",
  "fs_uniquifier",
  "fs_token_uniquifier",
  "fs_webauthn_user_handle",
  "create_datetime",
  "update_datetime",
  "last_login_at",
  "current_login_at",
  "last_login_ip",
  "current_login_ip",
  "login_count",
  "profile",
  "__proto__",
  "constructor",
  "prototype",
]);
const RESERVED_PREFIXES = ["tf_", "us_", "mf_", "fs_", "wan_"];

function reserved(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p));
}

export async function getProfile(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const user = await ctx.rt.serializeUser(caller!.user);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { user });
  return htmlResponse(ctx, 200, profilePage(ctx, user));
}

export async function putProfile(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const user = caller!.user;
  const body = await ctx.body();
  const ignored = new Set(["csrf_token", rt.config.token.key]);
  // Null-prototype maps: a field literally named "__proto__" must stay a plain key, not change a prototype.
  const errors: FieldErrors = Object.create(null);
  const changes: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(body.fields)) {
    if (ignored.has(name)) continue;
    const spec = Object.hasOwn(rt.userFields, name) ? rt.userFields[name] : undefined;
    if (reserved(name) || !spec || spec.update === false) {
      errors[name] = [{ code: "FIELD_NOT_UPDATABLE", params: { field: name.slice(0, 64) } }];
      continue;
    }
    const parsed = parseUserField(spec, value);
    if (parsed.ok) changes[name] = parsed.value;
    else errors[name] = [{ code: "INVALID_FIELD", text: parsed.text }];
  }
  if (Object.keys(errors).length) return fieldErrorJson(ctx, errors);
  const fields = Object.keys(changes);
  if (!fields.length) return jsonResponse(ctx, 200, { user: await rt.serializeUser(user) });
  const veto = await runBeforeHook(ctx, "update_profile", user);
  if (veto) return formErrorJson(ctx, vetoErrors(veto));

  const updated = await rt.datastore.transaction(async (tx) => {
    // Lock the row, then merge into what is stored now: concurrent updates of different fields all survive.
    await tx.users.update(user.id, {});
    const current = (await tx.users.findById(user.id)) ?? user;
    const profile: Record<string, unknown> = { ...(current.profile ?? {}), ...changes };
    await tx.users.update(user.id, { profile });
    return { ...current, profile };
  });
  await recordAudit(ctx, { event: "profile_updated", outcome: "success", user: updated, details: { fields } });
  await rt.events.emit("profile_updated", { user: updated, fields });
  await runAfterHook(ctx, "update_profile", updated);
  return jsonResponse(ctx, 200, { user: await rt.serializeUser(updated) });
}

/** The contract's 400 error shape, built on null-prototype objects so any field name (even "__proto__") is kept. */
function fieldErrorJson(ctx: RequestContext, fieldErrors: FieldErrors): Response {
  const errors: string[] = [];
  const codes: string[] = [];
  const byField: Record<string, string[]> = Object.create(null);
  for (const [name, refs] of Object.entries(fieldErrors)) {
    const texts = renderMessages(ctx, refs);
    byField[name] = texts;
    errors.push(...texts);
    codes.push(...refs.map((r) => r.code));
  }
  return jsonResponse(ctx, 400, { errors, field_errors: byField, error_codes: codes });
}
