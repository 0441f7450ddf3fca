/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const usernameMessages = {
  USERNAME_CHANGE: "You successfully changed your username",
  USERNAME_RECOVERY_REQUEST: "If registered, your username will be sent to your email.",
} as const;
