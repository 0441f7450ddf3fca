/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const profileMessages = {
  FIELD_NOT_UPDATABLE: "%(field)s cannot be changed here.",
} as const;
