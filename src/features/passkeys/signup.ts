import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { flag, text } from "../../core/input.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import { formErrors, ok, refused } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import type { Runtime } from "../../core/runtime.js";
import { checkNewIdentity, checkRegistrationFields, registerFields } from "../../kit/new-identity.js";
import { csrfToken, formPayload } from "../../kit/schemas.js";
import { newChallenge, registrationOptions, userVerificationFor, wanConfig } from "./ceremony.js";
import { cleanPasskeyName } from "./names.js";
import { signupCeremonyPage, signupDonePage, signupFormPage, type SignupView } from "./signup-page.js";
import { sealState } from "./state.js";

/**
 * Passkey-first sign-up (RAMPART_WAN_SIGNUP): an account created with a passkey and no password.
 * GET/POST /wan-signup (anonymous only) checks the email and username as /register does and hands out the
 * creation options of a discoverable first-factor passkey with a `wan_state` that carries the checked email and
 * username; POST /wan-signup/<state> (signup-finish.ts) creates the account, the passkey and its recovery codes
 * together. Whether the email is taken is decided only at the finish, and answered as for a fresh one.
 */
export const DEFAULT_PASSKEY_NAME = "Passkey";

export const signupInput = z.object({
  email: text(),
  username: text(),
  name: text(),
  remember: flag,
});

/** Every step's page: the form, the ceremony, or the recovery codes. */
export function signupPage(ctx: RequestContext, props: PageProps<z.output<typeof signupInput>, SignupView>): string {
  const view = props.view;
  if (view?.step === "ceremony")
    return signupCeremonyPage(ctx, { csrfToken: props.csrfToken, options: view.options, action: view.action });
  if (view?.step === "done") return signupDonePage(ctx, view);
  const echo = view?.step === "form" ? view.echo : null;
  return signupFormPage(ctx, {
    csrfToken: props.csrfToken,
    echo: echo ?? {
      email: props.input.email ?? "",
      username: props.input.username ?? "",
      name: props.input.name ?? "",
    },
    errors: props.errors,
    flashes: props.errors ? [] : props.takeFlashes(),
  });
}

export const getSignupRoute = (path: string) =>
  defineRoute({
    id: "wan-signup.form",
    summary: "The passkey sign-up form: a CSRF token to post it with (refused when already signed in).",
    method: "GET",
    path,
    auth: "any",
    output: formPayload,
    errors: [400],
    page: signupPage,
    async handle(ctx, { caller }) {
      if (caller)
        return refused("ANONYMOUS_USER_REQUIRED", 400, { browser: { redirect: ctx.rt.config.urls.postLoginView } });
      return ok({}, { csrf: true });
    },
  });

/** The form's fields and the app's registration fields (judged by their schemas, as /register does). */
function signupInputFor(rt: Pick<Runtime, "userFields">): typeof signupInput {
  const appFields = Object.fromEntries(registerFields(rt).map(([name]) => [name, z.unknown().optional()]));
  return signupInput.extend(appFields) as unknown as typeof signupInput;
}

/** The app's fields travel in the state (a URL path segment): bounded. */
const MAX_FIELDS_JSON = 2000;

export const postSignupRoute = (path: string, rt: Pick<Runtime, "userFields">) =>
  defineRoute({
    id: "wan-signup",
    summary: "Start a passkey sign-up: the creation options for the browser and the `wan_state` to post its answer to.",
    method: "POST",
    path,
    auth: "anonymous-only",
    input: signupInputFor(rt),
    output: z.object({
      credential_options: z.looseObject({}),
      wan_state: z.string(),
      csrf_token: csrfToken,
    }),
    page: signupPage,
    async handle(ctx, { input }) {
      const { rt } = ctx;
      const echo = { email: input.email ?? "", username: input.username ?? "", name: input.name ?? "" };
      const errors: FieldErrors = {};
      const identity = checkNewIdentity(rt, input);
      if (!identity.ok) Object.assign(errors, identity.errors);
      // An empty name takes the default: the user may not care what the passkey is called.
      const name = cleanPasskeyName(rt, input.name?.trim() ? input.name : DEFAULT_PASSKEY_NAME);
      if (!name.ok)
        errors.name = [
          name.code === "INVALID_INPUT_LENGTH"
            ? { code: name.code, params: { length: name.length } }
            : { code: name.code },
        ];
      // The app's declared registration fields (a required consent, say): the same check as /register.
      const fields = checkRegistrationFields(rt, input as Record<string, unknown>);
      Object.assign(errors, fields.errors);
      const posted = Object.fromEntries(
        registerFields(rt)
          .filter(([field]) => (input as Record<string, unknown>)[field] !== undefined)
          .map(([field]) => [field, (input as Record<string, unknown>)[field]]),
      );
      const firstField = registerFields(rt)[0]?.[0];
      if (firstField && JSON.stringify(posted).length > MAX_FIELDS_JSON && !errors[firstField])
        errors[firstField] = [{ code: "INVALID_INPUT_LENGTH", params: { length: MAX_FIELDS_JSON } }];
      if (!identity.ok || !name.ok || Object.keys(errors).length)
        return formErrors(errors, { view: { step: "form", echo } satisfies SignupView });
      // Without generic responses /register says a taken email or username at once; so does this form, before the
      // user makes a passkey for nothing. With them (the default) nothing is looked up until the finish.
      if (!rt.config.returnGenericResponses) {
        const taken = await takenErrors(ctx, identity.email, identity.username);
        if (taken) return formErrors(taken, { view: { step: "form", echo } satisfies SignupView });
      }

      // The app's before.register hook judges the sign-up where its email and username are posted (this request).
      const veto = await hookVeto(ctx, "register", null, { step: "form", echo } satisfies SignupView);
      if (veto) return veto;

      // The new account's WebAuthn user handle (FS: a uuid4 hex), fixed now: the authenticator stores it.
      const handle = randomUUID().replace(/-/g, "");
      const challenge = newChallenge(rt);
      const uv = userVerificationFor(rt, "first");
      const options = await registrationOptions(rt, {
        user: { handle, name: identity.username ?? identity.email, displayName: identity.email },
        usage: "first",
        challenge,
        existing: [],
      });
      // Sign-in without a password starts with no identity: the credential must be discoverable.
      options.authenticatorSelection = {
        ...options.authenticatorSelection,
        residentKey: "required",
        requireResidentKey: true,
      };
      const state = sealState(ctx, {
        ceremony: "signup",
        challenge,
        uniquifier: handle,
        name: name.name,
        usage: "first",
        remember: input.remember === true,
        requireUv: uv === "required",
        account: { email: identity.email, username: identity.username, fields: posted },
      });
      const action = `${rt.url(wanConfig(rt).signupUrl)}/${state}`;
      return ok(
        { credential_options: options as unknown as Record<string, unknown>, wan_state: state },
        { csrf: true, browser: { view: { step: "ceremony", options, action } satisfies SignupView } },
      );
    },
  });

/** A taken email or username as /register reports it when generic responses are off (null: both free). */
export async function takenErrors(
  ctx: RequestContext,
  email: string,
  username: string | null,
): Promise<FieldErrors | null> {
  const users = ctx.rt.datastore.users;
  const errors: FieldErrors = {};
  if (await users.findByEmail(email)) errors.email = [{ code: "EMAIL_ALREADY_ASSOCIATED", params: { email } }];
  if (username && (await users.findByUsername(username)))
    errors.username = [{ code: "USERNAME_ALREADY_ASSOCIATED", params: { username } }];
  return Object.keys(errors).length ? errors : null;
}
