/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const changePasswordMessages = {
  PASSWORD_IS_THE_SAME: "Your new password must be different than your previous password.",
  PASSWORD_CHANGE: "You successfully changed your password.",
} as const;
