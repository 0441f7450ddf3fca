import "./registry.js";
import type { Feature } from "../../core/feature.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RouteDef } from "../../core/routes.js";
import { twoFactorCheck } from "./check.js";
import { twoFactorSlice } from "./config.js";
import { twoFactorChanged, twoFactorInstructions, twoFactorRescue } from "./emails.js";
import {
  getRecoveryCodesRoute,
  getRecoveryRoute,
  newRecoveryCodeSet,
  postRecoveryCodesRoute,
  postRecoveryRoute,
} from "./recovery-codes.js";
import { getRescueRoute, postRescueRoute } from "./rescue.js";
import { getSelectRoute, postSelectRoute } from "./select.js";
import { postSetupStateRoute } from "./setup-authenticated.js";
import { getSetupRoute, postSetupRoute } from "./setup.js";
import { getValidateRoute, postValidateRoute } from "./validate.js";
import { currentFactorRefusal } from "./fresh-factor.js";
import { primaryMethod, rememberDevice } from "./state.js";

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
  emails: {
    two_factor_instructions: twoFactorInstructions,
    two_factor_rescue: twoFactorRescue,
    two_factor_changed: twoFactorChanged,
  },
  signInChecks: () => [twoFactorCheck],
  provides: (rt) => ({
    twoFactor: { currentMethod: primaryMethod, proveCurrentFactor: currentFactorRefusal, rememberDevice },
    ...(sliceOf(rt.config, twoFactorSlice).recoveryCodes
      ? { recoveryCodes: { newSet: () => newRecoveryCodeSet(rt) } }
      : {}),
  }),
  routes(rt) {
    const { setupUrl, validateUrl, rescueUrl, selectUrl, recoveryCodes, recoveryCodesUrl, recoveryUrl } = sliceOf(
      rt.config,
      twoFactorSlice,
    );
    const recovery: RouteDef[] = recoveryCodes
      ? [
          getRecoveryCodesRoute(recoveryCodesUrl),
          postRecoveryCodesRoute(recoveryCodesUrl),
          getRecoveryRoute(recoveryUrl),
          postRecoveryRoute(recoveryUrl),
        ]
      : [];
    return [
      ...recovery,
      getSetupRoute(setupUrl),
      postSetupRoute(setupUrl),
      postSetupStateRoute(`${setupUrl}/:token`),
      getValidateRoute(validateUrl),
      postValidateRoute(validateUrl),
      getSelectRoute(selectUrl),
      postSelectRoute(selectUrl),
      getRescueRoute(rescueUrl),
      postRescueRoute(rescueUrl),
    ];
  },
};

export { twoFactorSlice, type TwoFactorConfig } from "./config.js";
