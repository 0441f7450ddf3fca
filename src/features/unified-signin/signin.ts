import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { completeSignIn, hookVeto } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { defineRoute } from "../../core/define-route.js";
import { safeNext } from "../../kit/http/redirects.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { flag, str, text } from "../../core/input.js";
import { formErrors, ok } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { findUserByIdentity, identityAttributes } from "../../core/users.js";
import type { Flash } from "../../pages/kit.js";
import { dummyPasscode, matchPasscode, sendSigninCode } from "./codes.js";
import { activeCodeMethods, sendDestination, sendingMethods, usConfig } from "./methods.js";
import { checkPasscode, lockedOut } from "./passcode-check.js";
import { pageExtras } from "../../core/page-extras.js";
import { signinPage } from "./pages.js";
import { codeSent, signedInOrNextStep, signinForm } from "./schemas.js";
import { admitSend } from "../../kit/send-limits.js";

/**
 * GET/POST /us-signin and POST /us-signin/send-code. The passcode is tried against the password, then each
 * method the user set up; the matching method becomes authn_via and the sign-in goes through the pipeline,
 * where the two-factor check applies only when that method is listed in US_MFA_REQUIRED. Every passcode
 * is one credential check (passcode-check.ts): the per-account budget is drawn before it is evaluated, and an
 * unknown identity costs the same dummy work as an account.
 */

/** What the sign-in page shows again after a refusal (or after a code was sent). */
interface SigninView {
  identity: string;
  next: string | null;
  remember?: boolean;
  flashes?: Flash[];
}

/** The sign-in page, its form posting to `path` (the sign-in URL, or the login URL it replaces). */
const pageAt =
  (path: string) =>
  async (ctx: RequestContext, props: PageProps<{ identity?: string }, SigninView>): Promise<string> => {
    const view = props.view;
    const next = view ? view.next : safeNext(ctx, ctx.url.searchParams.get("next"));
    const identity = view?.identity ?? (typeof props.input.identity === "string" ? props.input.identity : undefined);
    const flashes = view?.flashes ?? (props.errors ? [] : props.takeFlashes());
    const extras = await pageExtras(ctx, "signin", { csrfToken: props.csrfToken, next, user: null });
    return signinPage(ctx, {
      extras,
      csrfToken: props.csrfToken,
      action: ctx.rt.url(path),
      identity,
      next,
      remember: view?.remember,
      errors: props.errors,
      flashes,
    });
  };

export const getSigninRoute = (path: string, replaces = false) =>
  defineRoute({
    id: replaces ? "us-signin.form.login" : "us-signin.form",
    summary:
      "The unified sign-in form: the enabled methods, those that send a code, and a CSRF token (the user when signed in).",
    method: "GET",
    path,
    auth: "any",
    replaces,
    output: signinForm,
    page: pageAt(path),
    async handle(ctx, { caller }) {
      const { rt } = ctx;
      const payload = {
        available_methods: usConfig(rt).enabledMethods,
        code_methods: sendingMethods(rt),
        identity_attributes: identityAttributes(rt),
        ...(caller ? { user: await rt.serializeUser(caller.user) } : {}),
      };
      // A signed-in browser has nothing to do here.
      return ok(payload, { csrf: true, ...(caller ? { browser: { redirect: rt.config.urls.postLoginView } } : {}) });
    },
  });

const signinInput = z.object({
  identity: str(320, "US_SPECIFY_IDENTITY"),
  passcode: text(),
  remember: flag,
  next: text(),
});

export const postSigninRoute = (path: string, replaces = false) =>
  defineRoute({
    id: replaces ? "us-signin.login" : "us-signin",
    summary: "Sign in with an identity and a passcode: the password or a code from a set-up method.",
    method: "POST",
    path,
    auth: "anonymous-only",
    limits: ["credential", "send"],
    replaces,
    input: signinInput,
    output: signedInOrNextStep,
    page: pageAt(path),
    async handle(ctx, { input }) {
      const { rt } = ctx;
      const cfg = usConfig(rt);
      const identity = input.identity?.trim() ?? "";
      const rawNext = input.next ?? ctx.url.searchParams.get("next");
      const view: SigninView = {
        identity,
        next: safeNext(ctx, rawNext),
        remember: input.remember ?? rt.config.defaultRememberMe,
      };

      const shape: FieldErrors = {};
      if (rawNext && !view.next) shape.next = [{ code: "INVALID_REDIRECT" }];
      if (!identity) shape.identity = [{ code: "US_SPECIFY_IDENTITY" }];
      if (!input.passcode) shape.passcode = [{ code: "PASSCODE_NOT_PROVIDED" }];
      if (Object.keys(shape).length) return formErrors(shape, { view });
      const passcode = input.passcode!;

      const user = await findUserByIdentity(rt, identity);
      const veto = await hookVeto(ctx, "us_signin", user, view);
      if (veto) return veto;
      const checked = await checkPasscode(ctx, user, {
        kind: "us_signin",
        audit: "login",
        identity,
        failure: "INVALID_PASSWORD_CODE",
        details: { via: "us_signin" },
        match: (u) => matchPasscode(ctx, u, passcode),
        dummy: () => dummyPasscode(ctx, passcode),
      });
      if (!checked.ok) {
        if (checked.reason === "BUDGET_SPENT") return lockedOut(checked);
        // FS: an identity that names nobody is "specify a valid identity"; generic mode hides which one failed.
        const [field, code] =
          checked.reason === "USER_DOES_NOT_EXIST"
            ? ["identity", "US_SPECIFY_IDENTITY" as const]
            : ["passcode", "INVALID_PASSWORD_CODE" as const];
        return formErrors(
          rt.config.returnGenericResponses ? { "": [{ code: "GENERIC_AUTHN_FAILED" }] } : { [field]: [{ code }] },
          { view },
        );
      }
      const method = checked.value;

      // An emailed code also proves the mailbox: the pipeline handles that once the sign-in is allowed.
      const result = await rt.pipeline.signIn(ctx, {
        user: checked.user,
        authnVia: [method],
        remember: view.remember!,
        kind: "session",
        includeAuthToken: ctx.includeAuthToken(),
        firstFactorIsMultiFactor: !(cfg.mfaRequired as readonly string[]).includes(method),
      });
      return completeSignIn(ctx, result, {
        action: "us_signin",
        generic: true,
        denyField: "identity",
        next: view.next,
        extra: { tf_required: false },
        view,
      });
    },
  });

const sendInput = z.object({
  identity: str(320, "US_SPECIFY_IDENTITY"),
  chosen_method: str(32, "US_METHOD_NOT_AVAILABLE"),
  next: text(),
});

/**
 * POST /us-signin/send-code: mails (with the magic link) or texts a code. With generic responses (the default)
 * the answer is the same whether or not the identity exists, has that method, or is active.
 */
export const sendCodeRoute = (path: string, signinPath: string) =>
  defineRoute({
    id: "us-signin.send-code",
    summary: "Send a sign-in code (by email with a magic link, or by SMS) to an identity's set-up method.",
    method: "POST",
    path,
    auth: "anonymous-only",
    limits: ["send"],
    input: sendInput,
    output: codeSent,
    errors: [500],
    page: pageAt(signinPath),
    async handle(ctx, { input }) {
      const { rt } = ctx;
      const identity = input.identity?.trim() ?? "";
      const method = input.chosen_method ?? "";
      const view: SigninView = { identity, next: safeNext(ctx, input.next ?? ctx.url.searchParams.get("next")) };
      const generic = rt.config.returnGenericResponses;
      const fail = (errors: FieldErrors, status?: number) => formErrors(errors, { view, status });

      const shape: FieldErrors = {};
      if (!sendingMethods(rt).includes(method)) shape.chosen_method = [{ code: "US_METHOD_NOT_AVAILABLE" }];
      if (!identity) shape.identity = [{ code: "US_SPECIFY_IDENTITY" }];
      if (Object.keys(shape).length) return fail(shape);

      // Counted before the lookup changes the answer, as one draw on the real destination: the account's address or
      // phone when the identity names one (its username, any spelling), else the typed identity.
      const user = await findUserByIdentity(rt, identity);
      await admitSend(ctx, method === "sms" ? "sms" : "mail", sendDestination(user, method, identity));
      const veto = await hookVeto(ctx, "us_signin", user, view);
      if (veto) return veto;
      // Generic mode answers the same whether or not a code went out, so the page must not claim one was sent (as FS).
      const sent = ok(
        {},
        {
          csrf: true,
          browser: {
            view: {
              ...view,
              flashes: [
                {
                  category: "info" as const,
                  message: rt.message(generic ? "GENERIC_US_SIGNIN" : "CODE_HAS_BEEN_SENT"),
                },
              ],
            },
          },
        },
      );
      if (!user || !user.active || !activeCodeMethods(rt, user).includes(method)) {
        const refusal = () =>
          recordAudit(ctx, {
            event: "us_code_sent",
            outcome: "failure",
            user,
            identity,
            details: { method, reason: !user ? "unknown" : !user.active ? "inactive" : "method_not_set_up" },
          });
        if (!generic) {
          await refusal();
          if (!user) return fail({ identity: [{ code: "US_SPECIFY_IDENTITY" }] });
          if (!user.active) return fail({ identity: [{ code: "DISABLED_ACCOUNT" }] });
          return fail({ chosen_method: [{ code: "US_METHOD_NOT_AVAILABLE" }] });
        }
        // Generic: both branches answer after the same work (lookup, hook); the rest — here the audit row, there
        // the send counter, the code, the mail or SMS — runs after the answer (core/deferred.ts).
        await nowOrAfterAnswer(ctx, true, "us_code_refused", user, refusal);
        return sent;
      }
      if (generic) {
        await nowOrAfterAnswer(ctx, true, "us_signin_code", user, () => sendSigninCode(ctx, user, method, true));
        return sent;
      }
      if ((await sendSigninCode(ctx, user, method, true)) === "failed")
        return fail({ "": [{ code: "FAILED_TO_SEND_CODE" }] }, 500);
      return sent;
    },
  });
