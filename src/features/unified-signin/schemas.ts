import { z } from "zod";
import { csrfToken, empty, nextStep, signedIn, userJson } from "../../kit/schemas.js";

/** JSON payloads of the unified sign-in endpoints (their `output` declarations, and /openapi.json). */

const methods = z.array(z.string());

/** GET /us-signin: what the form takes (the user too when signed in). */
export const signinForm = z.object({
  available_methods: methods.describe("US_ENABLED_METHODS."),
  code_methods: methods.describe("Enabled methods that send a code (email, sms)."),
  identity_attributes: methods,
  csrf_token: csrfToken,
  user: userJson.optional(),
});

/** A code was sent (or, with generic responses, may have been: the answer does not say). */
export const codeSent = z.object({ csrf_token: csrfToken });

/** GET /us-verify: the ways this user can re-authenticate. Features that add one (passkeys, OAuth) add keys. */
export const verifyForm = z.looseObject({
  available_methods: methods,
  code_methods: methods.describe("The user's set-up methods that send a code."),
  csrf_token: csrfToken,
});

/** GET /us-setup, and POST /us-setup after removing methods: the user's methods. */
export const setupInfo = z.object({
  identity_attributes: methods,
  available_methods: methods,
  active_methods: methods,
  setup_methods: methods,
  phone: z.string().nullable(),
  csrf_token: csrfToken,
});

/** POST /us-setup with chosen_method: the state to validate at /us-setup/<state> (an authenticator's key too). */
export const setupStarted = z.object({
  chosen_method: z.string(),
  phone: z.string().nullable(),
  state: z.string(),
  authr_key: z.string().optional(),
  authr_b32key: z.string().optional(),
  authr_username: z.string().optional(),
  authr_issuer: z.string().optional(),
  authr_uri: z.string().optional(),
  csrf_token: csrfToken,
});

/** POST /us-setup/<state>: the method is the user's now. */
export const setupDone = z.object({ chosen_method: z.string(), phone: z.string().nullable(), csrf_token: csrfToken });

/** A sign-in's answer: the user, or the next step when the pipeline stopped for one (a second factor). */
export const signedInOrNextStep = z.union([signedIn, nextStep]);

/** GET of the magic link: nothing for API callers (the page is for browsers); with urls.signInLinksOnGet, a sign-in's answer. */
export const linkLanding = z.union([empty, signedIn, nextStep]);
