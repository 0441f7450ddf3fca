/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const confirmationMessages = {
  ALREADY_CONFIRMED: "Your email has already been confirmed.",
  CONFIRMATION_EXPIRED:
    "You did not confirm your email within %(within)s. New instructions to confirm your email have been sent to %(email)s.",
  CONFIRMATION_REQUEST: "Confirmation instructions have been sent to %(email)s.",
  EMAIL_CONFIRMED: "Thank you. Your email has been confirmed.",
  INVALID_CONFIRMATION_TOKEN: "Invalid confirmation token.",
} as const;
