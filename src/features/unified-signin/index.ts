import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import type { RouteDef } from "../../core/routes.js";
import { secretBox } from "../../kit/passcodes/index.js";
import { generateTotpSecret } from "../../crypto/totp/index.js";
import { unifiedSigninSlice } from "./config.js";
import { usInstructions, usMethodsChanged } from "./emails.js";
import { getSetupRoute, postSetupRoute } from "./setup.js";
import { postSetupValidateRoute } from "./setup-validate.js";
import { getSigninRoute, postSigninRoute, sendCodeRoute } from "./signin.js";
import { getVerifyLinkRoute, postVerifyLinkRoute } from "./verify-link.js";
import { getVerifyRoute, postVerifyRoute, verifySendCodeRoute } from "./verify.js";

/**
 * Unified sign-in (FS UNIFIED_SIGNIN): /us-signin (+ /send-code), the magic link /us-verify-link, /us-setup
 * (+ /<state>) and /us-verify (+ /send-code). With US_SIGNIN_REPLACES_LOGIN the sign-in form also takes the
 * login URL. It offers registration a password-less account (PASSWORD_REQUIRED=false) through the core.
 */
export const unifiedSigninFeature: Feature = {
  name: "unified-signin",
  config: unifiedSigninSlice,
  enabled: (config) => sliceOf(config, unifiedSigninSlice).enabled,
  emails: { us_instructions: usInstructions, us_methods_changed: usMethodsChanged },
  provides(rt) {
    const cfg = sliceOf(rt.config, unifiedSigninSlice);
    return {
      unifiedSignin: {
        verifyUrl: cfg.verifyUrl,
        passwordOptional: !cfg.passwordRequired,
        // Password-less registration: the email method is set up with the account (FS does the same).
        emailMethodSecrets: () => JSON.stringify({ email: secretBox(rt).seal(generateTotpSecret()) }),
      },
      // Re-authentication happens at /us-verify (any set-up method), and API callers are told so.
      reauthChoices: [{ verifyUrl: cfg.verifyUrl, required: { unified_signin_enabled: true } }],
    };
  },
  routes(rt) {
    const cfg = sliceOf(rt.config, unifiedSigninSlice);
    const signinAt = (path: string, replaces = false): RouteDef[] => [
      getSigninRoute(path, replaces),
      postSigninRoute(path, replaces),
    ];
    return [
      ...signinAt(cfg.signinUrl),
      ...(cfg.signinReplacesLogin ? signinAt(rt.config.urls.login, true) : []),
      sendCodeRoute(cfg.signinSendCodeUrl, cfg.signinUrl),
      getVerifyLinkRoute(cfg.verifyLinkUrl),
      postVerifyLinkRoute(cfg.verifyLinkUrl),
      getSetupRoute(cfg.setupUrl),
      postSetupRoute(cfg.setupUrl),
      postSetupValidateRoute(`${cfg.setupUrl}/:state`),
      getVerifyRoute(cfg.verifyUrl),
      postVerifyRoute(cfg.verifyUrl),
      verifySendCodeRoute(cfg.verifySendCodeUrl),
    ];
  },
};

export { unifiedSigninSlice, type UnifiedSigninConfig } from "./config.js";
