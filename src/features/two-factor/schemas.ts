import { z } from "zod";
import { str } from "../../core/input.js";
import { csrfToken, userJson } from "../../kit/schemas.js";

/** Input and output of the two-factor routes (what /openapi.json shows; live answers must match). */

/** A second-factor code (authenticator, email or SMS); an over-long one reads as a wrong one. */
export const codeInput = z.object({ code: str(64, "TWO_FACTOR_INVALID_TOKEN") });

/** `code`: the current authenticator code, for a signed-in user changing or disabling two-factor. */
export const setupInput = z.object({
  setup: str(32, "TWO_FACTOR_METHOD_NOT_AVAILABLE"),
  phone: str(64, "PHONE_INVALID"),
  code: str(64, "TWO_FACTOR_INVALID_TOKEN"),
});

/** Where a signed-in user or a pending sign-in stands, and what they may choose. */
export const setupInfo = z.object({
  tf_required: z.boolean(),
  tf_method: z.string().nullable(),
  tf_primary_method: z.string().nullable(),
  tf_phone_number: z.string().nullable(),
  tf_available_methods: z.array(z.string()),
  csrf_token: csrfToken,
});

/** A new method waiting for its first code; the authenticator's key and URI when that is the method. */
export const setupStarted = z.object({
  tf_state: z.literal("validating_profile"),
  tf_method: z.string(),
  tf_primary_method: z.string(),
  /** Signed-in setup: POST it to /tf-setup/<token> with the code (clients without cookies); null during login. */
  tf_state_token: z.string().nullable(),
  tf_authr_key: z.string().optional(),
  tf_authr_b32key: z.string().optional(),
  tf_authr_username: z.string().optional(),
  tf_authr_issuer: z.string().optional(),
  tf_authr_uri: z.string().optional(),
  csrf_token: csrfToken,
});

/** The user after a change that keeps them signed in (disable, a confirmed new method). */
export const userAnswer = z.object({ user: userJson, csrf_token: csrfToken });

/** The rescue choices of a pending sign-in, each with the URL that starts it. */
export const recoveryOptions = z.record(z.string(), z.string());

/** FS's "ready" step: the chosen factor is waiting (code sent for email/sms; a plugin's own keys). */
export const factorStarted = z.looseObject({
  tf_required: z.literal(true),
  tf_state: z.literal("ready"),
  tf_method: z.string(),
  tf_primary_method: z.string().optional(),
  csrf_token: csrfToken,
});
