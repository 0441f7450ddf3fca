import { z } from "zod";

/**
 * Payload pieces many endpoints share, as zod schemas: the route table uses them for its `output` and
 * /openapi.json describes them once.
 */
export const userJson = z
  .looseObject({
    authentication_token: z.string().optional().meta({
      description: "The access token, on authenticating answers that asked for one (?include_auth_token).",
    }),
    authentication_token_expires_at: z.iso.datetime().optional().meta({
      description: "When authentication_token stops working (ISO 8601, UTC); present whenever the token is.",
    }),
    refresh_token: z.string().optional().meta({
      description: "The new refresh token, when refresh tokens are on and not kept in a cookie.",
    }),
  })
  .meta({
    id: "User",
    description:
      "The user as the app's serializer shows it (by default email, username when enabled, and exposed profile fields).",
  });

export const csrfToken = z.string().meta({
  description: "A CSRF token for the next unsafe request (send it as the X-CSRF-Token header or a csrf_token field).",
});

/** A form's GET: the token to post it with. */
export const formPayload = z.object({ csrf_token: csrfToken });

/** What an endpoint that signs someone in answers on success. */
export const signedIn = z.object({
  user: userJson,
  csrf_token: csrfToken,
  tf_required: z.boolean().optional(),
});

/** An answer with nothing to say but success. */
export const empty = z.object({});

/** The next step of an interrupted sign-in (second factor required, …): nobody is signed in yet. */
export const nextStep = z.looseObject({ csrf_token: csrfToken }).meta({ id: "NextStep" });
