/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const changeEmailMessages = {
  CHANGE_EMAIL_EXPIRED: "Confirmation must be completed within %(within)s. Please start over.",
  CHANGE_EMAIL_CONFIRMED: "Change of email address confirmed",
  CHANGE_EMAIL_SENT: "Instructions to confirm your new email address have been sent to %(email)s.",
} as const;
