import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";
import type { ConfigIssue } from "../../core/errors.js";

/**
 * Refresh tokens (Flask-Security 5.9 REFRESH_TOKEN*): issued with every auth token when on, exchanged at
 * REFRESH_TOKEN_URL for a new auth token and a new refresh token. Resolved at `config.refreshTokens`; read it
 * with `sliceOf(config, refreshTokensSlice)`.
 */
const days = (n: number) => n * 24 * 60 * 60;

const cookie = z
  .strictObject({
    sameSite: key(z.enum(["Strict", "Lax", "None"]).default("Strict"), {
      env: "RAMPART_REFRESH_TOKEN_COOKIE_SAMESITE",
      doc: "SameSite of the refresh cookie (FS REFRESH_TOKEN_COOKIE samesite).",
    }),
    httpOnly: key(z.boolean().default(true), {
      env: "RAMPART_REFRESH_TOKEN_COOKIE_HTTPONLY",
      doc: "HttpOnly on the refresh cookie, so scripts cannot read it (FS REFRESH_TOKEN_COOKIE httponly).",
    }),
    secure: key(z.boolean().nullable().default(null), {
      env: "RAMPART_REFRESH_TOKEN_COOKIE_SECURE",
      doc: "Secure on the refresh cookie; null: as the session cookie (SESSION_COOKIE_SECURE, on outside development).",
    }),
  })
  .prefault({});

const schema = z.strictObject({
  enabled: key(z.boolean().default(false), {
    env: "SECURITY_REFRESH_TOKEN",
    doc: "Issue a refresh token with every auth token and serve REFRESH_TOKEN_URL (FS REFRESH_TOKEN).",
  }),
  url: key(z.string().startsWith("/").default("/refresh-token"), {
    env: "SECURITY_REFRESH_TOKEN_URL",
    doc: "Where a refresh token is exchanged for a new auth token and refresh token (FS REFRESH_TOKEN_URL).",
  }),
  maxAgeSeconds: key(z.number().int().positive().default(days(90)), {
    env: "SECURITY_REFRESH_TOKEN_MAX_AGE",
    doc: "A refresh token family ends this long after sign-in, however often it is used (FS REFRESH_TOKEN_MAX_AGE).",
  }),
  maxIdleSeconds: key(z.number().int().positive().default(days(7)), {
    env: "SECURITY_REFRESH_TOKEN_MAX_IDLE",
    doc: "A refresh token family ends when not used for this long (FS REFRESH_TOKEN_MAX_IDLE).",
  }),
  cleanupExpired: key(z.boolean().default(true), {
    env: "SECURITY_REFRESH_TOKEN_CLEANUP_EXPIRED",
    doc: "Delete the user's expired families when a new one starts (FS REFRESH_TOKEN_CLEANUP_EXPIRED).",
  }),
  cleanupRevoked: key(z.boolean().default(false), {
    env: "SECURITY_REFRESH_TOKEN_CLEANUP_REVOKED",
    doc: "Delete the user's revoked families when a new one starts (FS REFRESH_TOKEN_CLEANUP_REVOKED); off keeps them for the record.",
  }),
  cookieName: key(z.string().min(1).nullable().optional(), {
    env: "SECURITY_REFRESH_TOKEN_COOKIE_NAME",
    doc: "Cookie carrying the refresh token (FS REFRESH_TOKEN_COOKIE_NAME); unset: `__Host-fs_refresh` when the cookie is Secure, else `fs_refresh` (a name set here is used as given, e.g. FS's `fs_refresh`); none: the token is returned in JSON as user.refresh_token and sent back in the body.",
  }),
  /** Attributes of the refresh cookie (FS REFRESH_TOKEN_COOKIE). */
  cookie,
});

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/;

export const refreshTokensSlice = defineSlice({
  key: "refreshTokens",
  schema,
  validate(value): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    if (value.maxIdleSeconds > value.maxAgeSeconds)
      issues.push({
        key: "refreshTokens.maxIdleSeconds",
        message: "SECURITY_REFRESH_TOKEN_MAX_IDLE must not exceed SECURITY_REFRESH_TOKEN_MAX_AGE",
      });
    if (typeof value.cookieName === "string" && !COOKIE_NAME.test(value.cookieName))
      issues.push({
        key: "refreshTokens.cookieName",
        message: "SECURITY_REFRESH_TOKEN_COOKIE_NAME must be a cookie name (letters, digits and !#$%&'*+-.^_`|~)",
      });
    if (value.cookie.sameSite === "None" && value.cookie.secure === false)
      issues.push({
        key: "refreshTokens.cookie.sameSite",
        message: "RAMPART_REFRESH_TOKEN_COOKIE_SAMESITE=None needs the cookie Secure (browsers drop it otherwise)",
      });
    return issues;
  },
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    refreshTokens: typeof refreshTokensSlice;
  }
}
