/**
 * User-facing messages keyed as Flask-Security's SECURITY_MSG_<KEY>. JSON errors carry the text in `errors`
 * and the key in `error_codes`, so clients can branch and translate. Texts are overridable per key through
 * config (`messages`). Features add their own keys by extending this table.
 */
export const defaultMessages = {
  ANONYMOUS_USER_REQUIRED: "You can only access this endpoint when not logged in.",
  API_ERROR: "Input not appropriate for requested API",
  BODY_TOO_LARGE: "The request body is too large.",
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
  INVALID_SESSION_ID: "No such session.",
  INVALID_FIELD: "Invalid value.",
  LOCKED_OUT: "Too many failed attempts. Try again later.",
  LOGIN: "Please log in to access this page.",
  PASSWORD_NOT_PROVIDED: "Password not provided",
  PASSWORD_INVALID_LENGTH: "Password must be at least %(length)s characters",
  PASSWORD_TOO_LONG: "Password must be at most %(length)s characters",
  PASSWORD_TOO_SIMPLE: "Password not complex enough",
  PASSWORD_BREACHED: "Password on breached list",
  PASSWORD_BREACHED_SITE_ERROR: "Failed to contact breached passwords site",
  PASSWORD_IS_THE_SAME: "Your new password must be different than your previous password.",
  RETYPE_PASSWORD_MISMATCH: "Passwords do not match",
  EMAIL_ALREADY_ASSOCIATED: "%(email)s is already associated with an account.",
  IDENTITY_ALREADY_ASSOCIATED: "Identity attribute '%(attr)s' with value '%(value)s' is already associated with an account.",
  USERNAME_INVALID_LENGTH: "Username must be at least %(min)s characters and less than %(max)s characters",
  USERNAME_ILLEGAL_CHARACTERS: "Username contains illegal characters",
  USERNAME_DISALLOWED_CHARACTERS: "Username can contain only letters and numbers",
  USERNAME_ALREADY_ASSOCIATED: "%(username)s is already associated with an account.",
  REAUTHENTICATION_REQUIRED: "You must reauthenticate to access this endpoint",
  REAUTHENTICATION_SUCCESSFUL: "Reauthentication successful",
  SERVICE_BUSY: "The service is busy. Please try again shortly.",
  SESSION_REVOKED: "Session revoked.",
  UNAUTHENTICATED: "You must sign in to view this resource.",
  UNAUTHORIZED: "You do not have permission to view this resource.",
  USER_DOES_NOT_EXIST: "Specified user does not exist",
  USERNAME_NOT_PROVIDED: "Username not provided",
  LOGOUT_CONFIRM: "Confirm sign out",
  SIGNED_OUT: "You have signed out.",
  ALREADY_CONFIRMED: "Your email has already been confirmed.",
  CONFIRMATION_EXPIRED: "You did not confirm your email within %(within)s. New instructions to confirm your email have been sent to %(email)s.",
  CONFIRMATION_REQUEST: "Confirmation instructions have been sent to %(email)s.",
  CONFIRM_REGISTRATION: "Thank you. Confirmation instructions have been sent to %(email)s.",
  EMAIL_CONFIRMED: "Thank you. Your email has been confirmed.",
  INVALID_CONFIRMATION_TOKEN: "Invalid confirmation token.",
  INVALID_RESET_PASSWORD_TOKEN: "Invalid reset password token.",
  PASSWORD_RESET_EXPIRED: "You did not reset your password within %(within)s.",
  PASSWORD_RESET_REQUEST: "Instructions to reset your password have been sent to %(email)s.",
  PASSWORD_RESET: "You successfully reset your password and you have been logged in automatically.",
  PASSWORD_RESET_NO_LOGIN: "You successfully reset your password. Please authenticate using your new password.",
  GENERIC_RECOVERY: "If that email address is in our system, you will receive an email describing how to reset your password.",
  PASSWORD_CHANGE: "You successfully changed your password.",
  CHANGE_EMAIL_EXPIRED: "Confirmation must be completed within %(within)s. Please start over.",
  CHANGE_EMAIL_CONFIRMED: "Change of email address confirmed",
  CHANGE_EMAIL_SENT: "Instructions to confirm your new email address have been sent to %(email)s.",
  USERNAME_CHANGE: "You successfully changed your username",
  USERNAME_RECOVERY_REQUEST: "If registered, your username will be sent to your email.",
  FIELD_NOT_UPDATABLE: "%(field)s cannot be changed here.",
  TWO_FACTOR_INVALID_TOKEN: "Invalid code",
  TWO_FACTOR_PERMISSION_DENIED: "You currently do not have permissions to access this page",
  TWO_FACTOR_METHOD_NOT_AVAILABLE: "Marked method is not valid",
  TWO_FACTOR_SETUP_EXPIRED: "Setup must be completed within %(within)s",
  TWO_FACTOR_TOO_MANY_ATTEMPTS: "Too many attempts. Please try again later.",
  FAILED_TO_SEND_CODE: "Failed to send code. Please try again later",
  PHONE_INVALID: "Phone number not valid",
  INVALID_RECOVERY_CODE: "Recovery code invalid",
} as const;

export type MessageKey = keyof typeof defaultMessages;

export type MessageTable = Record<MessageKey, string>;

/** Renders a message with Flask-Security's `%(name)s` placeholders. */
export function formatMessage(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/%\((\w+)\)s/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
