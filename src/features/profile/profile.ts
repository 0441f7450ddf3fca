import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { formErrors, ok } from "../../core/outcome.js";
import { parseUserField } from "../../core/public-user.js";
import type { PageProps } from "../../core/render.js";
import { userJson } from "../../kit/schemas.js";
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

const profileAnswer = z.object({ user: userJson });

function reserved(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p));
}

export const getProfileRoute = (path: string) =>
  defineRoute({
    id: "profile",
    summary: "The caller's user as the app serializes it.",
    method: "GET",
    path,
    auth: "authenticated",
    output: profileAnswer,
    page: (ctx, props: PageProps<unknown, { user: Record<string, unknown> }>) =>
      profilePage(ctx, props.view?.user ?? {}),
    async handle(ctx, { caller }) {
      const user = await ctx.rt.serializeUser(caller.user);
      return ok({ user }, { browser: { view: { user } } });
    },
  });

export const putProfileRoute = (path: string) =>
  defineRoute({
    id: "profile.update",
    summary: "Change app-declared updatable user fields; any other name refuses the whole request.",
    method: "PUT",
    path,
    auth: "authenticated",
    // Documents the body; the handler judges the names as sent (a parser drops some, e.g. "__proto__").
    input: z
      .looseObject({})
      .meta({ description: "App-declared user fields to change, each checked by its own schema." }),
    output: profileAnswer,
    async handle(ctx, { caller }) {
      const { rt } = ctx;
      const user = caller.user;
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
      if (Object.keys(errors).length) return formErrors(errors);
      const fields = Object.keys(changes);
      if (!fields.length) return ok({ user: await rt.serializeUser(user) });
      const veto = await hookVeto(ctx, "update_profile", user);
      if (veto) return veto;

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
      return ok({ user: await rt.serializeUser(updated) });
    },
  });
