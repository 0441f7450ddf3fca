/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const sessionsMessages = {
  INVALID_SESSION_ID: "No such session.",
} as const;
