/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const loginMessages = {
  LOGOUT_CONFIRM: "Confirm sign out",
} as const;
