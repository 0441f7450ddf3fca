/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const registrationMessages = {
  CONFIRM_REGISTRATION: "Thank you. Confirmation instructions have been sent to %(email)s.",
} as const;
