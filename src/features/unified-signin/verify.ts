import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto, signedInPayload } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { reauthExtras, reauthOffers } from "../../core/enforce.js";
import { runAfterHook } from "../../core/hooks.js";
import { authenticate } from "../../core/identity.js";
import { str, text } from "../../core/input.js";
import { fieldError, ok } from "../../core/outcome.js";
import { reauthenticate } from "../../core/reauthenticate.js";
import type { PageProps } from "../../core/render.js";
import { signedIn } from "../../kit/schemas.js";
import type { Flash } from "../../pages/kit.js";
import { dummyPasscode, matchPasscode, sendSigninCode } from "./codes.js";
import { SENDING_METHODS } from "./config.js";
import { activeCodeMethods, usConfig } from "./methods.js";
import { pageExtras } from "../../core/page-extras.js";
import { verifyPage } from "./pages.js";
import { codeSent, verifyForm } from "./schemas.js";
import { checkPasscode, lockedOut } from "./passcode-check.js";
import { safeNext } from "../../kit/http/redirects.js";
import { admitSend } from "../../kit/send-limits.js";

/**
 * GET/POST /us-verify and POST /us-verify/send-code: re-authentication ("freshness") with any passcode the
 * user can produce — password or a code. A session gets a new identifier and authentication time; a token
 * caller may ask for a new fresh token (?include_auth_token). As /verify: the caller proves themselves again.
 */
interface VerifyView {
  next: string | null;
  flashes?: Flash[];
}

async function page(ctx: RequestContext, props: PageProps<unknown, VerifyView>): Promise<string> {
  const next = props.view ? props.view.next : safeNext(ctx, ctx.url.searchParams.get("next"));
  // The route is "authenticated": the runner resolved the caller already (authenticate caches it per request).
  const caller = await authenticate(ctx, ctx.rt.config.apiEnabledMethods);
  const methods = caller ? activeCodeMethods(ctx.rt, caller.user) : [];
  const links = caller ? (await reauthOffers(ctx, caller.user)).links : [];
  const extras = await pageExtras(ctx, "verify", { csrfToken: props.csrfToken, next, user: caller?.user ?? null });
  return verifyPage(ctx, {
    links,
    extras,
    csrfToken: props.csrfToken,
    next,
    methods,
    errors: props.errors,
    // A message from the redirect that brought the browser here (a provider re-authentication refused).
    flashes: props.view?.flashes ?? (props.errors ? [] : props.takeFlashes()),
  });
}

export const getVerifyRoute = (path: string) =>
  defineRoute({
    id: "us-verify.form",
    summary: "The re-authentication form: the enabled methods, the user's methods that send a code, and a CSRF token.",
    method: "GET",
    path,
    auth: "authenticated",
    output: verifyForm,
    page,
    async handle(ctx, { caller }) {
      const { rt } = ctx;
      const codeMethods = activeCodeMethods(rt, caller.user).filter((m) => SENDING_METHODS.includes(m));
      return ok(
        {
          available_methods: usConfig(rt).enabledMethods,
          code_methods: codeMethods,
          ...(await reauthExtras(ctx, caller.user)),
        },
        { csrf: true },
      );
    },
  });

export const postVerifyRoute = (path: string) =>
  defineRoute({
    id: "us-verify",
    summary: "Re-authenticate with the password or a code (a fresh session, or a fresh token when asked for).",
    method: "POST",
    path,
    auth: "authenticated",
    limits: ["credential"],
    input: z.object({ passcode: text(), next: text() }),
    output: signedIn,
    page,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const user = caller.user;
      const rawNext = input.next ?? ctx.url.searchParams.get("next");
      const view: VerifyView = { next: safeNext(ctx, rawNext) };
      if (rawNext && !view.next) return fieldError("next", "INVALID_REDIRECT", { view });
      if (!input.passcode) return fieldError("passcode", "PASSCODE_NOT_PROVIDED", { view });
      const veto = await hookVeto(ctx, "us_verify", user, view);
      if (veto) return veto;
      const passcode = input.passcode;
      const checked = await checkPasscode(ctx, user, {
        kind: "us_verify",
        audit: "verify",
        failure: "INVALID_PASSWORD_CODE",
        details: { via: "us_verify" },
        // Re-authentication of the signed-in user: a success forgets the account's failures.
        completes: true,
        match: (u) => matchPasscode(ctx, u, passcode),
        dummy: () => dummyPasscode(ctx, passcode),
      });
      if (!checked.ok) {
        if (checked.reason === "BUDGET_SPENT") return lockedOut(checked);
        return fieldError("passcode", "INVALID_PASSWORD_CODE", { view });
      }
      const method = checked.value;
      const authToken = await reauthenticate(ctx, caller, [method]);
      await recordAudit(ctx, { event: "verify", outcome: "success", user, details: { via: "us_verify", method } });
      await runAfterHook(ctx, "us_verify", user);
      return ok(await signedInPayload(ctx, user, authToken), {
        csrf: true,
        browser: { redirect: view.next ?? rt.config.urls.postVerifyView ?? rt.config.urls.postLoginView },
      });
    },
  });

export const verifySendCodeRoute = (path: string) =>
  defineRoute({
    id: "us-verify.send-code",
    summary: "Send a re-authentication code to one of the user's methods (no magic link).",
    method: "POST",
    path,
    auth: "authenticated",
    limits: ["send"],
    input: z.object({ chosen_method: str(32, "US_METHOD_NOT_AVAILABLE"), next: text() }),
    output: codeSent,
    errors: [500],
    page,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const view: VerifyView = { next: safeNext(ctx, input.next ?? ctx.url.searchParams.get("next")) };
      const method = input.chosen_method ?? "";
      if (!SENDING_METHODS.includes(method) || !activeCodeMethods(rt, caller.user).includes(method))
        return fieldError("chosen_method", "US_METHOD_NOT_AVAILABLE", { view });
      const destination = method === "sms" ? caller.user.usPhoneNumber : caller.user.email;
      await admitSend(ctx, method === "sms" ? "sms" : "mail", destination ?? caller.user.email, {
        kind: "account",
        userId: caller.user.id,
        own: true,
      });
      if ((await sendSigninCode(ctx, caller.user, method, false)) === "failed")
        return fieldError("", "FAILED_TO_SEND_CODE", { view, status: 500 });
      return ok(
        {},
        {
          csrf: true,
          browser: {
            view: { ...view, flashes: [{ category: "info" as const, message: rt.message("CODE_HAS_BEEN_SENT") }] },
          },
        },
      );
    },
  });
