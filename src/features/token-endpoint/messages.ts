/** This feature's user-facing messages (apps override them with `messages`). */
export const tokenEndpointMessages = {
  TOKEN_ENDPOINT_POST_REQUIRED:
    "A signed-in browser session gets a token only with POST (and its CSRF token), never with GET.",
} as const;
