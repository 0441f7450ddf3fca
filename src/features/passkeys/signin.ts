import { z } from "zod";
import { hookVeto } from "../../core/complete-sign-in.js";
import { defineRoute } from "../../core/define-route.js";
import { flag, str, text } from "../../core/input.js";
import { tooManyAttempts } from "../../core/lockout/refusal.js";
import { formErrors, ok, refused, type Outcome, type Refused } from "../../core/outcome.js";
import { verifyCredential } from "../../core/verify-credential.js";
import { csrfToken, nextStep, signedIn } from "../../kit/schemas.js";
import { assertionCredential, identifyAssertion, type AssertionVerdict } from "./assertion-check.js";
import { wanConfig } from "./ceremony.js";
import { finishSecondFactor } from "./second-factor.js";
import { assertionRefused, credentialError, signedInTail } from "./signin-answers.js";
import { signinPage, type SigninView } from "./signin-page.js";
import { safeNext } from "../../kit/http/redirects.js";
import { signinMode, startSignin } from "./signin-start.js";
import { takeState } from "./state.js";

/**
 * GET/POST /wan-signin and POST /wan-signin/<state> (FS webauthn_signin / webauthn_signin_response): a passkey
 * as the first factor (WAN_ALLOW_AS_FIRST_FACTOR), or as the second factor of a pending sign-in. The start hands
 * out options and a single-use state; the state's route judges the assertion (assertion-check.ts) and signs in
 * only through the pipeline: the first factor with `signIn` (a passkey with user verification counts as
 * multi-factor when WAN_ALLOW_AS_MULTI_FACTOR), the second with `resume` (second-factor.ts).
 */
const signinStarted = z.object({
  credential_options: z.looseObject({ challenge: z.string() }),
  wan_state: z.string(),
  remember: z.boolean(),
  is_secondary: z.boolean(),
  csrf_token: csrfToken,
});

export const signedInByPasskey = signedIn.extend({ post_login_url: z.string() });

/** FS answers 404 when passkeys may not sign in by themselves and no pending sign-in waits for one. */
function notFound(): Refused {
  return { kind: "refused", refs: [{ code: "NOT_FOUND", text: "Not found" }], status: 404 };
}

export const getSigninRoute = (path: string) =>
  defineRoute({
    id: "wan-signin.form",
    summary: "The passkey sign-in form: whether it is a pending sign-in's second factor, and a CSRF token.",
    method: "GET",
    path,
    auth: "anonymous-only",
    input: z.object({ next: text() }),
    output: z.object({ is_secondary: z.boolean(), csrf_token: csrfToken }),
    errors: [404],
    page: signinPage,
    async handle(ctx, { caller }) {
      const mode = await signinMode(ctx);
      if (!mode) return notFound();
      // A signed-in browser has nothing to do here (as /us-signin).
      const browser = caller ? { browser: { redirect: ctx.rt.config.urls.postLoginView } } : {};
      return ok({ is_secondary: mode.kind === "secondary" }, { csrf: true, ...browser });
    },
  });

export const postSigninRoute = (path: string) =>
  defineRoute({
    id: "wan-signin",
    summary:
      "Start a passkey sign-in (first factor, or the second factor of a pending sign-in): the options for navigator.credentials.get() and the state to post the answer to.",
    method: "POST",
    path,
    auth: "anonymous-only",
    input: z.object({ identity: str(320, "INVALID_INPUT"), remember: flag, next: text() }),
    output: signinStarted,
    errors: [404],
    page: signinPage,
    async handle(ctx, { input }) {
      const { rt } = ctx;
      const mode = await signinMode(ctx);
      if (!mode) return notFound();
      const identity = input.identity?.trim() ?? "";
      const rawNext = input.next ?? ctx.url.searchParams.get("next");
      const view: SigninView = {
        identity,
        next: safeNext(ctx, rawNext),
        remember: input.remember ?? rt.config.defaultRememberMe,
      };
      if (rawNext && !view.next) return formErrors({ next: [{ code: "INVALID_REDIRECT" }] }, { view });
      const started = await startSignin(ctx, mode, { identity, remember: view.remember! });
      return ok(
        {
          credential_options: started.options as unknown as { challenge: string },
          wan_state: started.state,
          remember: started.remember,
          is_secondary: started.secondary,
        },
        { csrf: true, browser: { view: { ...view, started } } },
      );
    },
  });

/** The answer's `credential` is a JSON string from FS's script (or forms); SPAs may send the object. */
const answerInput = z.object({
  credential: z.union([z.string(), z.looseObject({})]).optional(),
  remember: flag,
  next: text(),
});

export const postSigninStateRoute = (path: string) =>
  defineRoute({
    id: "wan-signin.finish",
    summary:
      "Finish a passkey sign-in with the browser's assertion (`credential`): signed in, or the next step (a second factor).",
    method: "POST",
    path,
    auth: "any",
    limits: ["credential"],
    input: answerInput,
    output: z.union([signedInByPasskey, nextStep]),
    errors: [404],
    page: signinPage,
    async handle(ctx, { input, params }): Promise<Outcome<any, SigninView>> {
      const { rt } = ctx;
      const rawNext = input.next ?? ctx.url.searchParams.get("next");
      const view: SigninView = { next: safeNext(ctx, rawNext) };
      if (rawNext && !view.next) return formErrors({ next: [{ code: "INVALID_REDIRECT" }] }, { view });
      const mode = await signinMode(ctx);
      // A state is only good for the step it was handed out for: a first-factor state does not complete a
      // pending sign-in's second factor, nor a second-factor state anything else than that user's pending sign-in.
      // Spent before the answer is judged: of parallel uses of one state exactly one gets past here.
      const taken = await takeState(ctx, params.state, ["signin", "second-factor"], (state) => {
        if (state.ceremony === "second-factor") {
          if (mode?.kind !== "secondary" || mode.pending.user.fsUniquifier !== state.uniquifier)
            return refused("TWO_FACTOR_PERMISSION_DENIED", 400);
        } else if (mode?.kind !== "first") {
          return mode ? refused("TWO_FACTOR_PERMISSION_DENIED", 400) : notFound();
        }
        return undefined;
      });
      if (!taken.ok)
        return "answer" in taken
          ? taken.answer
          : credentialError(taken.refusal.code, view, "params" in taken.refusal ? taken.refusal.params : undefined);
      const { state } = taken;
      if (!mode) return notFound(); // refused above; narrows the type
      const identified = await identifyAssertion(
        ctx,
        input.credential,
        state,
        mode.kind === "secondary" ? "secondary" : "first",
        "login",
      );
      if (!identified.ok)
        return identified.code === "LOCKED_OUT" ? tooManyAttempts(identified) : credentialError(identified.code, view);
      const { found } = identified;
      // The app's before-hook is asked about the user being signed in (a pending sign-in's, for the second factor).
      const veto = await hookVeto(ctx, "wan_signin", mode.kind === "secondary" ? mode.pending.user : found.owner, view);
      if (veto) return veto;
      const verdict: AssertionVerdict = { cause: null, otherUser: false, userVerified: false };
      const credential = assertionCredential(ctx, found, state, "login", verdict);
      const tail = { next: view.next, view };
      if (mode.kind === "secondary") return finishSecondFactor(ctx, mode.pending, credential, verdict, tail);

      const checked = await verifyCredential(ctx, found.owner, credential);
      if (!checked.ok) return assertionRefused(checked, verdict, view);
      const result = await rt.pipeline.signIn(ctx, {
        user: checked.user,
        authnVia: ["webauthn"],
        remember: state.remember,
        kind: "session",
        includeAuthToken: ctx.includeAuthToken(),
        firstFactorIsMultiFactor: verdict.userVerified && wanConfig(rt).allowAsMultiFactor,
      });
      return signedInTail(ctx, result, tail);
    },
  });
