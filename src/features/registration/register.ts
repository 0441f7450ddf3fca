import { recordAudit } from "../../core/audit.js";
import { completeSignIn, hookVeto, type SignedInPayload } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { afterCommit } from "../../core/after-commit.js";
import { defineRoute } from "../../core/define-route.js";
import { autoSignInVetoed, runAfterHook } from "../../core/hooks.js";
import { safeNext } from "../../kit/http/redirects.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { formErrors, ok, refused, type Outcome } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import type { Runtime } from "../../core/runtime.js";
import { formPayload, signedIn } from "../../kit/schemas.js";
import { DuplicateError, type UserRecord } from "../../datastore/contracts.js";
import { registrationSlice } from "./config.js";
import { answerRegistered, registeredView } from "./answer.js";
import { answerTaken } from "./existing.js";
import {
  checkRegistrationForm,
  registrationInput,
  type FormEcho,
  type NewAccountForm,
  type RegistrationForm,
  type RegistrationInput,
} from "./form.js";
import { pageExtras } from "../../core/page-extras.js";
import { registerPage } from "./pages.js";
import { admitSend } from "../../kit/send-limits.js";

/**
 * GET/POST /register. A new account is created in one transaction (the unique canonical-email index settles
 * races: the losers take the "already registered" path). The welcome mail goes out after the commit. Without
 * pending confirmation the new user is signed in through the pipeline (authn_via "register").
 * With generic responses (default) a taken email or username answers exactly as a fresh registration would
 * and the owner is told by mail; see existing.ts.
 */
async function page(ctx: RequestContext, props: PageProps<RegistrationInput, FormEcho>): Promise<string> {
  const fromQuery = () => safeNext(ctx, ctx.url.searchParams.get("next"));
  // A form refused before it was read (an over-long field) shows what was typed.
  const echo = props.view ?? {
    email: props.input.email ?? "",
    username: props.input.username ?? "",
    fields: {},
    next: fromQuery(),
  };
  const extras = await pageExtras(ctx, "register", {
    csrfToken: props.csrfToken,
    next: echo.next ?? null,
    user: null,
  });
  return registerPage(ctx, {
    extras,
    csrfToken: props.csrfToken,
    echo,
    errors: props.errors,
    flashes: props.errors ? [] : props.takeFlashes(),
  });
}

export const getRegisterRoute = (path: string) =>
  defineRoute({
    id: "register.form",
    summary: "The registration form: a CSRF token to post it with (refused when already signed in).",
    method: "GET",
    path,
    auth: "any",
    output: formPayload,
    errors: [400],
    page,
    async handle(ctx, { caller }) {
      // A signed-in browser has nothing to do here.
      if (caller)
        return refused("ANONYMOUS_USER_REQUIRED", 400, { browser: { redirect: ctx.rt.config.urls.postLoginView } });
      return ok({}, { csrf: true });
    },
  });

export const postRegisterRoute = (path: string, rt: Runtime) =>
  defineRoute({
    id: "register",
    summary: "Create an account (and sign in, unless its email must be confirmed first).",
    method: "POST",
    path,
    auth: "anonymous-only",
    limits: ["send"],
    input: registrationInput(rt),
    output: signedIn,
    page,
    async handle(ctx, { input }) {
      const read = await checkRegistrationForm(ctx, input);
      if (!read.ok) return formErrors(read.errors, { view: read.echo });
      return register(ctx, read.form, read.echo);
    },
  });

async function register(
  ctx: RequestContext,
  form: RegistrationForm,
  echo: FormEcho,
): Promise<Outcome<SignedInPayload, FormEcho>> {
  const { rt } = ctx;
  const generic = rt.config.returnGenericResponses;
  const users = rt.datastore.users;

  // Every registration may mail its address (a welcome, or a notice to the owner of a taken one): counted before
  // the lookup, so a taken address and a free one are answered alike.
  await admitSend(ctx, "mail", form.email);
  const emailOwner = await users.findByEmail(form.email);
  const usernameOwner = form.username ? await users.findByUsername(form.username) : null;
  if (!generic && (emailOwner || usernameOwner))
    return formErrors(takenErrors(form, !!emailOwner, !!usernameOwner), { view: echo });
  const veto = await hookVeto(ctx, "register", null, echo);
  if (veto) return veto;
  if (emailOwner || usernameOwner) return answerTaken(ctx, form, { emailOwner, usernameOwner, hashed: false });

  const hash = form.password ? await rt.hasher.hash(form.password) : null;
  // An account registered without a password (PASSWORD_REQUIRED=false) gets the email sign-in method, or it
  // could never sign in; one with a password does not (FS does the same: only when no password is given).
  const unified = rt.services.unifiedSignin;
  const usTotpSecrets = unified?.passwordOptional && !hash ? unified.emailMethodSecrets() : null;
  let user: UserRecord;
  try {
    user = await rt.datastore.transaction((tx) =>
      tx.users.create({
        email: form.email,
        username: form.username,
        password: hash,
        usTotpSecrets,
        active: true,
        confirmedAt: null,
        profile: Object.keys(form.profile).length ? form.profile : null,
      }),
    );
  } catch (error) {
    // A concurrent registration of the same email (any case) or username won the race.
    if (!(error instanceof DuplicateError) || (error.field !== "email" && error.field !== "username")) throw error;
    const byEmail = error.field === "email";
    if (!generic) return formErrors(takenErrors(form, byEmail, !byEmail), { view: echo });
    const owner = byEmail ? await users.findByEmail(form.email) : null;
    const uOwner = !byEmail && form.username ? await users.findByUsername(form.username) : null;
    // A username can be taken by a look-alike (the unique skeleton), which findByUsername does not find.
    return answerTaken(ctx, form, { emailOwner: owner, usernameOwner: uOwner, usernameTaken: !byEmail, hashed: true });
  }
  return registered(ctx, form, user);
}

function takenErrors(form: RegistrationForm, email: boolean, username: boolean): FieldErrors {
  const errors: FieldErrors = {};
  if (email) errors.email = [{ code: "EMAIL_ALREADY_ASSOCIATED", params: { email: form.email } }];
  if (username) errors.username = [{ code: "USERNAME_ALREADY_ASSOCIATED", params: { username: form.username ?? "" } }];
  return errors;
}

async function registered(
  ctx: RequestContext,
  form: RegistrationForm,
  user: UserRecord,
): Promise<Outcome<SignedInPayload, FormEcho>> {
  const { rt } = ctx;
  const pending = await announceRegistered(ctx, form, user);
  if (pending || (await afterCommit(rt, "the before.login hook", () => autoSignInVetoed(ctx, user))) !== false) {
    return answerRegistered(ctx, form, user);
  }

  const result = await afterCommit(rt, "the sign-in after registration", () =>
    rt.pipeline.signIn(ctx, {
      user,
      authnVia: ["register"],
      remember: false,
      kind: "session",
      includeAuthToken: ctx.includeAuthToken(),
    }),
  );
  // The account stands whatever the sign-in decided: a refusal (or a failure) only means nobody is signed in.
  if (!result || result.kind === "deny") return answerRegistered(ctx, form, user);
  // Signed in: the answer /login gives (after.login runs, as before.login did); a second factor to set up first
  // answers the same next step /login does, nobody signed in yet.
  return completeSignIn(ctx, result, {
    action: "login",
    next: registeredView(ctx, form),
    extra: { tf_required: false },
  });
}

/**
 * What follows the creation of an account, whoever created it (/register, passkey-first sign-up): the audit row,
 * the user_registered event, the welcome mail (with the confirmation link when confirmation is on) and the
 * after-hook. The account is committed: nothing here turns the success into an error. True while the account's
 * email awaits confirmation (nobody may be signed in).
 */
export async function announceRegistered(
  ctx: RequestContext,
  form: NewAccountForm,
  user: UserRecord,
): Promise<boolean> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, registrationSlice);
  const confirmation = rt.services.confirmation;
  const pending = confirmation?.pending(user) ?? false;
  const link = confirmation && !user.confirmedAt ? confirmation.link(ctx, user) : null;
  await afterCommit(rt, "the registration's audit row and event", async () => {
    await recordAudit(ctx, {
      event: "register",
      outcome: "success",
      user,
      details: { confirmation: pending ? "pending" : "not_required" },
    });
    await rt.events.emit("user_registered", { user, confirmationToken: link?.token ?? null, formData: form.formData });
  });
  if (cfg.sendRegisterEmail) {
    const context = {
      user,
      email: user.email,
      confirmation_link: link?.url ?? null,
      confirmation_token: link?.token ?? null,
      within: confirmation?.within ?? null,
      subject: cfg.emailSubject,
    };
    // Generic responses: a taken address gets its mail after the answer, so a fresh one does too (same timing).
    await nowOrAfterAnswer(ctx, rt.config.returnGenericResponses, "welcome", user, () =>
      deliverMail(ctx, "welcome", user.email, context, user),
    );
  }
  await afterCommit(rt, "the after-hook", () => runAfterHook(ctx, "register", user));
  return pending;
}
