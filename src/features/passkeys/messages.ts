/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const passkeysMessages = {
  WEBAUTHN_EXPIRED: "Passkey operations must be completed within %(within)s. Please start over.",
  WEBAUTHN_NAME_REQUIRED: "Nickname for new passkey is required.",
  WEBAUTHN_NAME_INUSE: "%(name)s is already associated with a passkey.",
  WEBAUTHN_NAME_NOT_FOUND: "%(name)s not registered with current user.",
  WEBAUTHN_CREDENTIAL_DELETED: "Successfully deleted the passkey with name: %(name)s",
  WEBAUTHN_REGISTER_SUCCESSFUL: "Successfully added the passkey with name: %(name)s",
  WEBAUTHN_CREDENTIAL_ID_INUSE: "Passkey already registered.",
  WEBAUTHN_UNKNOWN_CREDENTIAL_ID: "Unregistered passkey.",
  WEBAUTHN_ORPHAN_CREDENTIAL_ID: "Passkey doesn't belong to any user.",
  WEBAUTHN_NO_VERIFY: "Could not verify passkey: %(cause)s.",
  WEBAUTHN_CREDENTIAL_WRONG_USAGE: "Passkey not registered for this use (first or secondary)",
  WEBAUTHN_MISMATCH_USER_HANDLE: "Credential user handle didn't match",
  WEBAUTHN_LAST_WAY_IN: "This passkey is your only way to sign in: add a password or another passkey first.",
  INVALID_INPUT: "Value entered is not valid for the field",
  INVALID_INPUT_LENGTH: "Value entered must be less than %(length)s characters",
} as const;
