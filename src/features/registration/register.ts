import { recordAudit } from "../../core/audit.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { afterCommit } from "../../core/after-commit.js";
import { autoSignInVetoed, runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import { setFlash, takeFlashes } from "../../core/http/flash.js";
import { safeRedirect } from "../../core/http/redirects.js";
import { formErrorJson, htmlResponse, jsonResponse, plainErrorJson, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { userPayload } from "../../core/http/user-payload.js";
import { interruptResponse } from "../../core/http/interrupt.js";
import type { Caller } from "../../core/identity.js";
import { nowOrAfterAnswer } from "../../core/deferred.js";
import { deliverMail } from "../../core/mail-delivery.js";
import { DuplicateError, type UserRecord } from "../../datastore/contracts.js";
import { registrationSlice } from "./config.js";
import { answerRegistered } from "./answer.js";
import { answerTaken } from "./existing.js";
import { readRegistrationForm, type FormEcho, type RegistrationForm } from "./form.js";
import { registerPage } from "./pages.js";

/**
 * GET/POST /register. A new account is created in one transaction (the unique canonical-email index settles
 * races: the losers take the "already registered" path). The welcome mail goes out after the commit. Without
 * pending confirmation the new user is signed in through the pipeline (authn_via "register").
 * With generic responses (default) a taken email or username answers exactly as a fresh registration would
 * and the owner is told by mail; see existing.ts.
 */
export async function getRegister(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  if (caller) {
    if (ctx.wantsJson) return plainErrorJson(ctx, 400, [{ code: "ANONYMOUS_USER_REQUIRED" }]);
    return redirectResponse(ctx, rt.config.urls.postLoginView);
  }
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { csrf_token: csrfToken });
  const next = safeRedirect(ctx.url.searchParams.get("next"), ctx.appOrigin(), rt.config);
  return htmlResponse(ctx, 200, registerPage(ctx, { csrfToken, echo: { next }, flashes: takeFlashes(ctx) }));
}

export async function postRegister(ctx: RequestContext): Promise<Response> {
  const { rt } = ctx;
  const read = await readRegistrationForm(ctx);
  const fail = async (errors: FieldErrors, echo: FormEcho): Promise<Response> =>
    ctx.wantsJson ? formErrorJson(ctx, errors) : htmlResponse(ctx, 200, registerPage(ctx, { csrfToken: await issueCsrfToken(ctx), echo, errors }));
  if (!read.ok) return fail(read.errors, read.echo);
  const { form, echo } = read;
  const generic = rt.config.returnGenericResponses;
  const users = rt.datastore.users;

  const emailOwner = await users.findByEmail(form.email);
  const usernameOwner = form.username ? await users.findByUsername(form.username) : null;
  if (!generic && (emailOwner || usernameOwner)) return fail(takenErrors(form, !!emailOwner, !!usernameOwner), echo);
  const veto = await runBeforeHook(ctx, "register", null);
  if (veto) return fail(vetoErrors(veto), echo);
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
    if (!generic) return fail(takenErrors(form, byEmail, !byEmail), echo);
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

async function registered(ctx: RequestContext, form: RegistrationForm, user: UserRecord): Promise<Response> {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, registrationSlice);
  const confirmation = rt.services.confirmation;
  const pending = confirmation?.pending(user) ?? false;
  const link = confirmation && !user.confirmedAt ? confirmation.link(ctx, user) : null;
  // The account is committed: from here on nothing may turn the success into an error answer.
  await afterCommit(rt, "the registration's audit row and event", async () => {
    await recordAudit(ctx, { event: "register", outcome: "success", user, details: { confirmation: pending ? "pending" : "not_required" } });
    await rt.events.emit("user_registered", { user, confirmationToken: link?.token ?? null, formData: form.formData });
  });
  if (cfg.sendRegisterEmail) {
    const context = { user, email: user.email, confirmation_link: link?.url ?? null, confirmation_token: link?.token ?? null, within: confirmation?.within ?? null, subject: cfg.emailSubject };
    // Generic responses: a taken address gets its mail after the answer, so a fresh one does too (same timing).
    await nowOrAfterAnswer(ctx, rt.config.returnGenericResponses, "welcome", user, () => deliverMail(ctx, "welcome", user.email, context, user));
  }
  await afterCommit(rt, "the after-hook", () => runAfterHook(ctx, "register", user));
  if (pending || (await afterCommit(rt, "the before.login hook", () => autoSignInVetoed(ctx, user))) !== false) {
    return answerRegistered(ctx, form, user, { signedIn: false });
  }

  const result = await afterCommit(rt, "the sign-in after registration", () =>
    rt.pipeline.signIn(ctx, { user, authnVia: ["register"], remember: false, kind: "session", includeAuthToken: ctx.includeAuthToken() }),
  );
  // e.g. a second factor must be set up first: the same payload /login gives, nobody signed in yet.
  if (result?.kind === "interrupt") return interruptResponse(ctx, result);
  if (!result || result.kind === "deny") return answerRegistered(ctx, form, user, { signedIn: false });
  return answerRegistered(ctx, form, user, { signedIn: true, authToken: result.authToken });
}
