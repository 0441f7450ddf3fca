import type { z } from "zod";
import type { UserRecord } from "../datastore/contracts.js";

/**
 * What apps get for a user (guards, adapters, hooks): a plain object built from an allow-list, so sending it as
 * is (`res.json(req.rampart.user)`) never reveals a password hash, a uniquifier, an authenticator secret,
 * recovery codes or the phone numbers used for codes. The database row stays inside Rampart.
 */

/** A field the app declares on its users (stored in user.profile). */
export interface UserFieldSpec<S extends z.ZodType = z.ZodType> {
  schema: S;
  /**
   * Accepted (and validated) by /register. Default: the same as `update`, so a field users may not change
   * (`update: false`, e.g. a plan) is not theirs to choose at sign-up either unless `register: true` says so.
   */
  register?: boolean;
  /** Included in response.user and GET /profile. Default true. */
  expose?: boolean;
  /** Changeable through PUT /profile. Default true. */
  update?: boolean;
  /** The error text when the schema refuses a value. Default: the schema's own message for the first issue. */
  message?: string;
}

/** Whether /register accepts the field (see `register`). */
export function registrable(spec: UserFieldSpec): boolean {
  return spec.register ?? spec.update !== false;
}

/** Checks a value against a declared field: the parsed value, or the text to show (the field's or the schema's). */
export function parseUserField(
  spec: UserFieldSpec,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; text: string } {
  const parsed = spec.schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, text: spec.message ?? parsed.error.issues[0]?.message ?? "Invalid value." };
}

export type UserFields = Record<string, UserFieldSpec>;

/**
 * Frameworks whose request type is global (Express, Fastify) learn the app's fields through this interface:
 * `declare module "rampart" { interface Register { userFields: typeof userFields } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Register {}

/** The fields an app registered (see `Register`), else any declared fields. */
export type RegisteredUserFields = Register extends { userFields: infer F extends UserFields } ? F : UserFields;

/** The app's declared fields with the types their schemas produce (null when a user has no value). */
export type UserFieldValues<F extends UserFields> = { -readonly [K in keyof F]: z.output<F[K]["schema"]> | null };

/** What a declared field accepts as input (api.createUser). */
export type UserFieldInput<F extends UserFields> = { -readonly [K in keyof F]?: z.input<F[K]["schema"]> };

export interface PublicUser<F extends UserFields = UserFields> {
  id: number;
  email: string;
  username: string | null;
  active: boolean;
  confirmedAt: Date | null;
  lastLoginAt: Date | null;
  currentLoginAt: Date | null;
  loginCount: number | null;
  /** The second-factor method in use ("authenticator", "email", "sms"), or null. */
  tfPrimaryMethod: string | null;
  createdAt: Date;
  /** Every field the app declared, typed by its schema. */
  profile: UserFieldValues<F>;
  /** Present when the guard read them (a requirement naming roles or permissions). */
  roles?: string[];
  permissions?: string[];
}

/** The public view of a row: allow-listed columns and the declared fields only. */
export function publicUser<F extends UserFields>(
  user: UserRecord,
  fields: F,
  extra: { roles?: string[]; permissions?: string[] } = {},
): PublicUser<F> {
  const profile: Record<string, unknown> = {};
  for (const name of Object.keys(fields))
    profile[name] = user.profile && Object.hasOwn(user.profile, name) ? user.profile[name] : null;
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    active: user.active,
    confirmedAt: user.confirmedAt,
    lastLoginAt: user.lastLoginAt,
    currentLoginAt: user.currentLoginAt,
    loginCount: user.loginCount,
    tfPrimaryMethod: user.tfPrimaryMethod,
    createdAt: user.createDatetime,
    profile: profile as UserFieldValues<F>,
    ...(extra.roles ? { roles: extra.roles } : {}),
    ...(extra.permissions ? { permissions: extra.permissions } : {}),
  };
}
