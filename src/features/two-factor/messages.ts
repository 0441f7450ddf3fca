/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const twoFactorMessages = {
  TWO_FACTOR_PERMISSION_DENIED: "You currently do not have permissions to access this page",
  TWO_FACTOR_METHOD_NOT_AVAILABLE: "Marked method is not valid",
  TWO_FACTOR_SETUP_EXPIRED: "Setup must be completed within %(within)s",
  TWO_FACTOR_CHANGE_METHOD_SUCCESSFUL: "You successfully changed your two-factor method.",
  TWO_FACTOR_TOO_MANY_ATTEMPTS: "Too many attempts. Please try again later.",
  INVALID_RECOVERY_CODE: "Recovery code invalid",
  TWO_FACTOR_FRESH_REQUIRED: "Confirm your current second factor to change or disable two-factor authentication",
} as const;
