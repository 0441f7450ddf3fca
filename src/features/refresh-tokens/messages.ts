/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const refreshTokensMessages = {
  REFRESH_TOKEN_INVALID: "Refresh token is invalid (%(reason)s)",
  REFRESH_TOKEN_NOT_PROVIDED: "Refresh token not provided",
} as const;
