import "./registry.js";
import type { Feature } from "../../core/feature.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RouteDef } from "../../core/routes.js";
import { twoFactorCheck } from "./check.js";
import { twoFactorSlice } from "./config.js";
import { twoFactorChanged, twoFactorInstructions, twoFactorRescue } from "./emails.js";
import { getRecovery, getRecoveryCodes, postRecovery, postRecoveryCodes } from "./recovery-codes.js";
import { getRescue, postRescue } from "./rescue.js";
import { getSelect, postSelect } from "./select.js";
import { postSetupState } from "./setup-authenticated.js";
import { getSetup, postSetup } from "./setup.js";
import { getValidate, postValidate } from "./validate.js";
import { proveCurrentFactor } from "./fresh-factor.js";
import { primaryMethod } from "./state.js";

/**
 * Two-factor authentication (FS TWO_FACTOR), code methods authenticator, email and sms: the "two-factor"
 * sign-in check, /tf-setup (during login, or signed in with a state token), /tf-validate, /tf-rescue and
 * /tf-select (users with several second factors; other features add factors via services.secondFactors); with
 * recoveryCodes on, /mf-recovery-codes and /mf-recovery (FS MULTI_FACTOR_RECOVERY_CODES).
 */
export const twoFactorFeature: Feature = {
  name: "two-factor",
  config: twoFactorSlice,
  enabled: (config) => sliceOf(config, twoFactorSlice).enabled,
  emails: { two_factor_instructions: twoFactorInstructions, two_factor_rescue: twoFactorRescue, two_factor_changed: twoFactorChanged },
  signInChecks: () => [twoFactorCheck],
  provides: () => ({ twoFactor: { currentMethod: primaryMethod, proveCurrentFactor } }),
  routes(rt) {
    const { setupUrl, validateUrl, rescueUrl, selectUrl, recoveryCodes, recoveryCodesUrl, recoveryUrl } = sliceOf(rt.config, twoFactorSlice);
    const recovery: RouteDef[] = recoveryCodes
      ? [
          { method: "GET", path: recoveryCodesUrl, auth: "fresh", handler: (ctx, caller) => getRecoveryCodes(ctx, caller!) },
          { method: "POST", path: recoveryCodesUrl, auth: "fresh", handler: (ctx, caller) => postRecoveryCodes(ctx, caller!) },
          { method: "GET", path: recoveryUrl, auth: "any", handler: (ctx) => getRecovery(ctx) },
          { method: "POST", path: recoveryUrl, auth: "anonymous-only", handler: (ctx) => postRecovery(ctx) },
        ]
      : [];
    return [
      ...recovery,
      { method: "GET", path: setupUrl, auth: "any", handler: (ctx, caller) => getSetup(ctx, caller) },
      { method: "POST", path: setupUrl, auth: "any", handler: (ctx, caller) => postSetup(ctx, caller) },
      { method: "POST", path: `${setupUrl}/:token`, auth: "authenticated", handler: (ctx, caller, params) => postSetupState(ctx, caller, params) },
      { method: "GET", path: validateUrl, auth: "any", handler: (ctx, caller) => getValidate(ctx, caller) },
      { method: "POST", path: validateUrl, auth: "any", handler: (ctx, caller) => postValidate(ctx, caller) },
      { method: "GET", path: selectUrl, auth: "any", handler: (ctx) => getSelect(ctx) },
      { method: "POST", path: selectUrl, auth: "any", handler: (ctx) => postSelect(ctx) },
      { method: "GET", path: rescueUrl, auth: "any", handler: (ctx) => getRescue(ctx) },
      { method: "POST", path: rescueUrl, auth: "anonymous-only", handler: (ctx) => postRescue(ctx) },
    ];
  },
};

export { twoFactorSlice, type TwoFactorConfig } from "./config.js";
