/**
 * User-facing messages keyed as Flask-Security's SECURITY_MSG_<KEY>. JSON errors carry the text in `errors`
 * and the key in `error_codes`, so clients can branch and translate. Texts are overridable per key through
 * config (`messages`). Features add their own keys by extending this table.
 */
export const coreMessages = {
  ANONYMOUS_USER_REQUIRED: "You can only access this endpoint when not logged in.",
  API_ERROR: "Input not appropriate for requested API",
  METHOD_NOT_ALLOWED: "Method not allowed",
  BODY_TOO_LARGE: "The request body is too large.",
  TOO_MANY_FIELDS: "The request has too many form fields.",
  MALFORMED_JSON: "The request body is not valid JSON.",
  UNSUPPORTED_MEDIA_TYPE: "Unsupported content type for this endpoint.",
  CONFIRMATION_REQUIRED: "Email requires confirmation.",
  CSRF_MISSING: "The CSRF token is missing.",
  CSRF_INVALID: "The CSRF token is invalid.",
  CSRF_EXPIRED: "The CSRF token has expired.",
  CSRF_ORIGIN: "Cross-site request refused.",
  DISABLED_ACCOUNT: "Account is disabled.",
  EMAIL_NOT_PROVIDED: "Email not provided",
  GENERIC_AUTHN_FAILED: "Authentication failed - identity or password/passcode invalid",
  IDENTITY_NOT_PROVIDED: "Identity not provided",
  INVALID_EMAIL_ADDRESS: "Invalid email address",
  INVALID_PASSWORD: "Invalid password",
  INVALID_REDIRECT: "Redirections outside the domain are forbidden",
  INVALID_FIELD: "Invalid value.",
  LOCKED_OUT: "Too many failed attempts. Try again later.",
  LOGIN: "Please log in to access this page.",
  PASSWORD_NOT_PROVIDED: "Password not provided",
  PASSWORD_INVALID_LENGTH: "Password must be at least %(length)s characters",
  PASSWORD_TOO_LONG: "Password must be at most %(length)s characters",
  PASSWORD_TOO_SIMPLE: "Password not complex enough",
  PASSWORD_BREACHED: "Password on breached list",
  PASSWORD_BREACHED_SITE_ERROR: "Failed to contact breached passwords site",
  RETYPE_PASSWORD_MISMATCH: "Passwords do not match",
  EMAIL_ALREADY_ASSOCIATED: "%(email)s is already associated with an account.",
  USERNAME_INVALID_LENGTH: "Username must be at least %(min)s characters and less than %(max)s characters",
  USERNAME_ILLEGAL_CHARACTERS: "Username contains illegal characters",
  USERNAME_DISALLOWED_CHARACTERS: "Username can contain only letters and numbers",
  USERNAME_MIXED_SCRIPT: "Username cannot mix letters of different alphabets",
  USERNAME_ALREADY_ASSOCIATED: "%(username)s is already associated with an account.",
  REAUTHENTICATION_REQUIRED: "You must reauthenticate to access this endpoint",
  REAUTHENTICATION_SUCCESSFUL: "Reauthentication successful",
  SERVICE_BUSY: "The service is busy. Please try again shortly.",
  TOO_MANY_REQUESTS: "Too many requests. Please try again later.",
  SESSION_REVOKED: "Session revoked.",
  UNAUTHENTICATED: "You must sign in to view this resource.",
  UNAUTHORIZED: "You do not have permission to view this resource.",
  USER_DOES_NOT_EXIST: "Specified user does not exist",
  USERNAME_NOT_PROVIDED: "Username not provided",
  SIGNED_OUT: "You have signed out.",
  TWO_FACTOR_INVALID_TOKEN: "Invalid code",
  FAILED_TO_SEND_CODE: "Failed to send code. Please try again later",
  PHONE_INVALID: "Phone number not valid",
} as const;

/**
 * Every message key: the core's, and those each feature adds from its folder (registry.ts, declaration merging
 * on this interface). An app overriding a text names a key of this catalog.
 */
export interface MessageCatalog extends Record<keyof typeof coreMessages, true> {}

export type MessageKey = keyof MessageCatalog & string;

export type MessageTable = Record<MessageKey, string>;

/** Renders a message with Flask-Security's `%(name)s` placeholders. */
export function formatMessage(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/%\((\w+)\)s/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
