/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const unifiedSigninMessages = {
  IDENTITY_ALREADY_ASSOCIATED:
    "Identity attribute '%(attr)s' with value '%(value)s' is already associated with an account.",
  US_SPECIFY_IDENTITY: "You must specify a valid identity to sign in",
  US_METHOD_NOT_AVAILABLE: "Requested method is not valid",
  US_SETUP_EXPIRED: "Setup must be completed within %(within)s. Please start over.",
  US_SETUP_SUCCESSFUL: "Unified sign in setup successful",
  US_CURRENT_METHODS: "Currently active sign in options:",
  US_LAST_METHOD: "The last way to sign in cannot be removed",
  INVALID_PASSWORD_CODE: "Password or code submitted is not valid",
  PASSCODE_NOT_PROVIDED: "Password or code not provided",
  CODE_HAS_BEEN_SENT: "Code has been sent.",
  GENERIC_US_SIGNIN: "If that identity is in our system, you were sent a code.",
  INVALID_CODE: "Invalid code",
} as const;
