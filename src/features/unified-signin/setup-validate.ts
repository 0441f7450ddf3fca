import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { str } from "../../core/input.js";
import { formErrors, ok, type BrowserAnswer } from "../../core/outcome.js";
import { secretBox } from "../../kit/passcodes/index.js";
import { DuplicateError } from "../../datastore/contracts.js";
import { dummyCodeCheck, matchSetupCode } from "./codes.js";
import { setupMethods, usConfig } from "./methods.js";
import { setupDone } from "./schemas.js";
import { setupStateCodec } from "./setup-state.js";
import {
  authenticatorQr,
  factorOf,
  notifyMethodsChanged,
  saveMethods,
  setupPageFor,
  type SetupView,
} from "./setup-shared.js";
import { checkPasscode, lockedOut } from "./passcode-check.js";
import { codeLimit, lockoutKey } from "../../core/lockout/lockout.js";

/**
 * POST /us-setup/<state>: a correct code for the new secret makes the method the user's. Authenticated, not
 * fresh: the state was handed out under a fresh sign-in and expires with US_SETUP_WITHIN.
 */
export const postSetupValidateRoute = (path: string) =>
  defineRoute({
    id: "us-setup.validate",
    summary: "Commit a method being set up with a code for its new secret (the state from POST /us-setup).",
    method: "POST",
    path,
    auth: "authenticated",
    limits: ["credential"],
    input: z.object({ passcode: str(64, "INVALID_PASSWORD_CODE") }),
    output: setupDone,
    page: setupPageFor,
    async handle(ctx, { input, caller, params }) {
      const { rt } = ctx;
      const cfg = usConfig(rt);
      const user = caller.user;
      const opened = setupStateCodec.open(rt, params.state);
      const state = opened.ok ? opened.value : null;
      const method = state?.method ?? "";
      const secret = state ? secretBox(rt).open(state.sealedSecret) : null;
      const fail = async (errors: FieldErrors) => {
        // A wrong code shows the same set-up page again, QR code included: the user has not scanned it yet, maybe.
        const retry = state && params.state && errors.passcode;
        const qr = retry && method === "authenticator" && secret ? await authenticatorQr(ctx, user, secret) : undefined;
        const view: SetupView = { user, pending: retry ? { state: params.state!, method, qr } : null };
        return formErrors(errors, { view });
      };
      if (!opened.ok && opened.reason === "expired")
        return fail({
          "": [{ code: "US_SETUP_EXPIRED", params: { within: humanizeSeconds(cfg.setupWithinSeconds) } }],
        });
      // A state minted before the user had two-factor (so without its proof) cannot add a method after.
      if (
        !state ||
        state.uniquifier !== user.fsUniquifier ||
        !secret ||
        !setupMethods(rt).includes(method) ||
        state.factor !== factorOf(ctx, user)
      )
        return fail({ "": [{ code: "API_ERROR" }] });
      const { nonce, sealedSecret: sealed, phone } = state;
      const passcode = (input.passcode ?? "").replace(/[\s-]+/g, "");
      if (!passcode) return fail({ passcode: [{ code: "PASSCODE_NOT_PROVIDED" }] });
      const checked = await checkPasscode(ctx, user, {
        kind: "us_setup",
        audit: "us_setup",
        failure: "INVALID_PASSWORD_CODE",
        details: { method },
        // The first code of a method being set up confirms a new secret (as FS, no failed authentication): it
        // draws from the set-up code limit, not the account's lockout.
        authenticates: false,
        limit: codeLimit(rt, "setup-code", lockoutKey(rt, { user, identity: null })),
        match: async (u) => ((await matchSetupCode(ctx, u, method, secret, passcode, nonce)) ? method : null),
        dummy: () => dummyCodeCheck(ctx, passcode),
      });
      if (!checked.ok) {
        if (checked.reason === "BUDGET_SPENT") return lockedOut(checked);
        return fail({ passcode: [{ code: "INVALID_PASSWORD_CODE" }] });
      }
      let saved;
      try {
        saved = await saveMethods(
          ctx,
          user,
          (current) => ({ ...current, [method]: sealed }),
          method === "sms" ? phone : undefined,
        );
      } catch (error) {
        if (error instanceof DuplicateError && error.field === "us_phone_number") {
          return fail({
            phone: [{ code: "IDENTITY_ALREADY_ASSOCIATED", params: { attr: "us_phone_number", value: phone ?? "" } }],
          });
        }
        throw error;
      }
      if (!saved) return fail({ "": [{ code: "API_ERROR" }] });
      // An email code received while signed in proves the mailbox.
      if (method === "email" && !saved.confirmedAt)
        await rt.datastore.users.markConfirmed(saved.id, ctx.now(), {
          fsUniquifier: saved.fsUniquifier,
          email: saved.email,
        });
      await recordAudit(ctx, { event: "us_setup", outcome: "success", user: saved, details: { method } });
      await rt.events.emit("us_profile_changed", { user: saved, methods: [method], delete: false });
      await notifyMethodsChanged(ctx, saved, [method], false);
      await runAfterHook(ctx, "us_setup", saved);
      const browser: BrowserAnswer<SetupView> = cfg.postSetupView
        ? { redirect: cfg.postSetupView }
        : {
            view: {
              user: saved,
              flashes: [{ category: "success" as const, message: rt.message("US_SETUP_SUCCESSFUL") }],
            },
          };
      return ok({ chosen_method: method, phone: saved.usPhoneNumber }, { csrf: true, browser });
    },
  });
