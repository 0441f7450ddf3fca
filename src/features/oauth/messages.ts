/** This feature's user-facing messages (Flask-Security's SECURITY_MSG_<KEY>; apps override them with `messages`). */
export const oauthMessages = {
  IDENTITY_NOT_REGISTERED: "Identity %(id)s not registered",
  OAUTH_HANDSHAKE_ERROR:
    "An error occurred while communicating with the OAuth provider: (%(exerror)s - %(exdesc)s). Please try again.",
  OAUTH_PROVIDER_UNAVAILABLE: "%(provider)s did not answer. Please try again in a moment.",
  OAUTH_ACCESS_DENIED: "Sign-in with %(provider)s was cancelled.",
  OAUTH_FLOW_EXPIRED:
    "That sign-in with %(provider)s was not started in this browser or took too long. Please start over.",
  OAUTH_EMAIL_NOT_VERIFIED:
    "%(provider)s did not confirm that this email address is yours. Sign in another way, then link %(provider)s from your account page.",
  OAUTH_LINK_FROM_ACCOUNT_PAGE:
    "This %(provider)s identity is not linked to an account. Sign in another way, then link %(provider)s from your account page.",
  OAUTH_LINK_SIGN_IN_FIRST:
    "An account with this email exists. Sign in to it another way first, then link %(provider)s from your account page.",
  OAUTH_IDENTITY_IN_USE: "This %(provider)s identity is already linked to another account.",
  OAUTH_IDENTITY_LINKED: "%(provider)s is now linked to your account.",
  OAUTH_IDENTITY_UNLINKED: "%(provider)s is no longer linked to your account.",
  OAUTH_IDENTITY_NOT_FOUND: "No such linked identity.",
  OAUTH_LAST_WAY_IN: "This is your only way to sign in: set a password or add a passkey before unlinking it.",
  OAUTH_VERIFY_OTHER_IDENTITY: "That %(provider)s identity is not linked to your account.",
  OAUTH_ISSUER_MISMATCH:
    "This %(provider)s identity was linked through a different %(provider)s server, so it cannot be used now. Sign in another way, remove the old %(provider)s link from your account page, and link %(provider)s again.",
  OAUTH_FLOW_OTHER_USER:
    "That request to %(provider)s was started by another sign-in. Sign in to the account it is for and start over.",
} as const;
