import "./registry.js";
import { sliceOf } from "../../core/config/slice.js";
import type { Feature } from "../../core/feature.js";
import type { RouteDef } from "../../core/routes.js";
import { secretBox } from "../../core/passcodes/index.js";
import { generateTotpSecret } from "../../crypto/totp/index.js";
import { unifiedSigninSlice } from "./config.js";
import { usInstructions, usMethodsChanged } from "./emails.js";
import { getSetup, postSetup, postSetupState } from "./setup.js";
import { getSignin, postSendCode, postSignin } from "./signin.js";
import { getVerifyLink, postVerifyLink } from "./verify-link.js";
import { getVerify, postVerify, postVerifySendCode } from "./verify.js";

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
      { method: "GET", path, auth: "any", replaces, handler: (ctx, caller) => getSignin(ctx, caller, rt.url(path)) },
      { method: "POST", path, auth: "anonymous-only", replaces, handler: (ctx) => postSignin(ctx, rt.url(path)) },
    ];
    return [
      ...signinAt(cfg.signinUrl),
      ...(cfg.signinReplacesLogin ? signinAt(rt.config.urls.login, true) : []),
      { method: "POST", path: cfg.signinSendCodeUrl, auth: "anonymous-only", handler: (ctx) => postSendCode(ctx, rt.url(cfg.signinUrl)) },
      { method: "GET", path: cfg.verifyLinkUrl, auth: "any", handler: (ctx) => getVerifyLink(ctx) },
      // Completes the magic link (from its landing page, or an SPA's JSON); CSRF-protected like every POST.
      { method: "POST", path: cfg.verifyLinkUrl, auth: "any", handler: (ctx) => postVerifyLink(ctx) },
      { method: "GET", path: cfg.setupUrl, auth: "fresh", handler: (ctx, caller) => getSetup(ctx, caller) },
      { method: "POST", path: cfg.setupUrl, auth: "fresh", handler: (ctx, caller) => postSetup(ctx, caller) },
      { method: "POST", path: `${cfg.setupUrl}/:state`, auth: "authenticated", handler: (ctx, caller, params) => postSetupState(ctx, caller, params) },
      { method: "GET", path: cfg.verifyUrl, auth: "authenticated", handler: (ctx, caller) => getVerify(ctx, caller) },
      { method: "POST", path: cfg.verifyUrl, auth: "authenticated", handler: (ctx, caller) => postVerify(ctx, caller) },
      { method: "POST", path: cfg.verifySendCodeUrl, auth: "authenticated", handler: (ctx, caller) => postVerifySendCode(ctx, caller) },
    ];
  },
};

export { unifiedSigninSlice, type UnifiedSigninConfig } from "./config.js";
