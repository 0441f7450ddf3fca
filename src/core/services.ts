import type { UserRecord } from "../datastore/contracts.js";
import type { RequestContext } from "./context.js";
import type { AuthnMethod, SecondFactorMethod } from "./methods.js";

/**
 * What features offer each other, through the core (features never import each other). A feature declares its
 * entry in its registry.ts (declaration merging on `Services`) and fills it at composition (`Feature.provides`);
 * others ask for it and cope when it is absent (feature off).
 */
export interface EmailedLink {
  url: string;
  token: string;
}

/**
 * A second factor other than two-factor's own code method (WebAuthn will be the first): the two-factor check
 * counts it among the user's factors, offers it at /tf-select and starts it when chosen.
 */
export interface SecondFactorPlugin {
  /** Method name in `tf_setup_methods` and the `which` of /tf-select ("webauthn"). */
  name: SecondFactorMethod;
  /** True when this user has the factor set up. */
  isSetUp(user: UserRecord): boolean | Promise<boolean>;
  /**
   * Starts the factor for a pending sign-in and returns extras for the `tf_state: "ready"` answer (e.g.
   * `tf_signin_url`). The plugin completes the pending sign-in itself with `rt.pipeline.resume(ctx,
   * await rt.pipeline.pending(ctx), { method: name, credential, … })`: the pipeline checks its credential (budget
   * first), consumes the attempt once and signs in the stored attempt (first factor, remember intent).
   */
  begin(
    ctx: RequestContext,
    user: UserRecord,
    attempt: { remember: boolean; authnVia: AuthnMethod[] },
  ): Promise<Record<string, unknown>>;
}

/**
/**
 * A way to re-authenticate offered by a feature (unified sign-in's code or link; passkeys and OAuth later): the
 * page browsers are sent to instead of /verify, and the keys it sets in the `reauth_required` answer and in the
 * re-authentication form's payload.
 */
export interface ReauthChoice {
  verifyUrl?: string;
  required?: Record<string, unknown>;
  form?: Record<string, unknown>;
}

export interface Services {
  /** Second factors offered by features; the composition root concatenates every feature's list. */
  secondFactors?: SecondFactorPlugin[];
  /** Ways to re-authenticate besides the password at /verify; concatenated like `secondFactors`. */
  reauthChoices?: ReauthChoice[];
}
