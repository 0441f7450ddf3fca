/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const recoveryMessages = {
  INVALID_RESET_PASSWORD_TOKEN: "Invalid reset password token.",
  PASSWORD_RESET_EXPIRED: "You did not reset your password within %(within)s.",
  PASSWORD_RESET_REQUEST: "Instructions to reset your password have been sent to %(email)s.",
  PASSWORD_RESET: "You successfully reset your password and you have been logged in automatically.",
  PASSWORD_RESET_NO_LOGIN: "You successfully reset your password. Please authenticate using your new password.",
  GENERIC_RECOVERY:
    "If that email address is in our system, you will receive an email describing how to reset your password.",
} as const;
