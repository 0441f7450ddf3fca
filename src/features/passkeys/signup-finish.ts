import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import { z } from "zod";
import { afterCommit } from "../../core/after-commit.js";
import { recordAudit } from "../../core/audit.js";
import { completeSignIn, signedInPayload } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { autoSignInVetoed } from "../../core/hooks.js";
import { formErrors, ok, type JsonPayload, type Outcome } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { DuplicateError, type UserRecord } from "../../datastore/contracts.js";
import { checkRegistrationFields } from "../../kit/new-identity.js";
import { admitSend } from "../../kit/send-limits.js";
import { csrfToken, userJson } from "../../kit/schemas.js";
import { checkRegistration, parseCredential, wanConfig, type CheckedRegistration } from "./ceremony.js";
import { signupPage, takenErrors } from "./signup.js";
import type { SignupView } from "./signup-page.js";
import { takeState, type CeremonyState } from "./state.js";
import { rememberSignupBrowser } from "./signup-browser.js";
import { stateRefusal } from "./signup-state.js";
import { passkeyStore } from "./store.js";

/**
 * POST /wan-signup/<state>: the browser's new passkey for the account the state names. The state is spent before
 * the answer is judged (of parallel uses exactly one gets past); then, in one transaction, the account (no
 * password, its WebAuthn user handle the one the authenticator stored), the passkey (first factor) and its
 * recovery codes. The codes are answered this once. As /register: a taken email or username creates nothing and
 * is answered like a fresh account (its owner told by mail); with confirmation on, the only mail is the
 * confirmation link and nobody is signed in until it is followed; otherwise the new user is signed in through
 * the pipeline with the passkey as the first factor.
 */
const finishOutput = z.looseObject({
  user: userJson.optional(),
  recovery_codes: z.array(z.string()),
  tf_required: z.boolean().optional(),
  csrf_token: csrfToken,
});

type Answer = Outcome<JsonPayload, SignupView>;
type Account = NonNullable<CeremonyState["account"]>;
type Registered = Extract<CheckedRegistration, { ok: true }>;

class CredentialInUse extends Error {}

export const postSignupFinishRoute = (path: string) =>
  defineRoute({
    id: "wan-signup.finish",
    summary: "Complete a passkey sign-up: the account, its passkey and its recovery codes (answered only this once).",
    method: "POST",
    path: `${path}/:state`,
    auth: "anonymous-only",
    limits: ["send"],
    input: z.object({ credential: z.unknown().optional() }),
    output: finishOutput,
    page: (ctx, props: PageProps<unknown, SignupView>) => signupPage(ctx, { ...props, input: {} }),
    async handle(ctx, { input, params }): Promise<Answer> {
      const { rt } = ctx;
      const taken = await takeState(ctx, params.state, ["signup"], async (s) => {
        if (!s.account || !s.uniquifier || !s.name) return "invalid";
        // Every finish may mail the address (a welcome, or a notice to the owner of a taken one): counted before
        // anything is looked up or spent, so a refused request can be retried with the same state.
        await admitSend(ctx, "mail", s.account.email);
        return undefined;
      });
      if (!taken.ok) return "answer" in taken ? taken.answer : stateRefusal(ctx, taken.refusal);
      const { state } = taken;
      const account = state.account!;
      const response = parseCredential<RegistrationResponseJSON>(input.credential);
      if (!response) return formErrors({ credential: [{ code: "API_ERROR" }] });
      const checked = await checkRegistration(rt, { response, challenge: state.challenge, requireUv: state.requireUv });
      if (!checked.ok)
        return formErrors({ credential: [{ code: "WEBAUTHN_NO_VERIFY", params: { cause: checked.cause } }] });
      return createAccount(ctx, state, account, checked);
    },
  });

async function createAccount(
  ctx: RequestContext,
  state: CeremonyState,
  account: Account,
  checked: Registered,
): Promise<Answer> {
  const { rt } = ctx;
  const { registration, recoveryCodes } = rt.services;
  // Configuration validation requires both (RAMPART_WAN_SIGNUP needs registration and recovery codes on).
  if (!registration || !recoveryCodes) throw new Error("passkey sign-up needs registration and recovery codes");
  // The app's fields were judged at the start; judged again (the schemas may have changed since), as /register.
  const fields = checkRegistrationFields(rt, account.fields ?? {});
  if (Object.keys(fields.errors).length) return formErrors(fields.errors);
  const profile = fields.profile;
  const form = {
    email: account.email,
    username: account.username,
    profile,
    formData: rt.config.username.enable
      ? { email: account.email, ...profile, username: account.username }
      : { email: account.email, ...profile },
  };
  const users = rt.datastore.users;
  const emailOwner = await users.findByEmail(account.email);
  const usernameOwner = account.username ? await users.findByUsername(account.username) : null;
  if (emailOwner || usernameOwner) return taken(ctx, form, { emailOwner, usernameOwner });

  const codes = recoveryCodes.newSet();
  const now = ctx.now();
  let user: UserRecord;
  try {
    user = await rt.datastore.transaction(async (tx) => {
      const created = await tx.users.create({
        email: account.email,
        username: account.username,
        password: null,
        active: true,
        confirmedAt: null,
        profile: Object.keys(profile).length ? profile : null,
      });
      await tx.users.update(created.id, { fsWebauthnUserHandle: state.uniquifier, mfRecoveryCodes: codes.stored });
      const passkey = await tx.store(passkeyStore).create({
        ...checked.credential,
        userId: created.id,
        name: state.name!,
        usage: "first",
        createdAt: now,
        lastUsedAt: now,
      });
      // One credential never serves two accounts: nothing of this account is kept.
      if (passkey === "credential-in-use") throw new CredentialInUse();
      return (await tx.users.findById(created.id)) ?? created;
    });
  } catch (error) {
    if (error instanceof CredentialInUse) return formErrors({ credential: [{ code: "WEBAUTHN_CREDENTIAL_ID_INUSE" }] });
    // A concurrent registration of the same email (any case) or username won the race.
    if (!(error instanceof DuplicateError) || (error.field !== "email" && error.field !== "username")) throw error;
    const byEmail = error.field === "email";
    return taken(ctx, form, {
      emailOwner: byEmail ? await users.findByEmail(account.email) : null,
      usernameOwner: !byEmail && account.username ? await users.findByUsername(account.username) : null,
      // A username can be taken by a look-alike (the unique skeleton), which findByUsername does not find.
      usernameTaken: !byEmail,
    });
  }
  return created(ctx, state, form, user, codes.codes, checked.userVerified);
}

type Form = {
  email: string;
  username: string | null;
  profile: Record<string, unknown>;
  formData: Record<string, unknown>;
};

/**
 * A taken email or username: generic responses (default) answer exactly as a fresh sign-up that signed nobody
 * in (recovery codes of the same shape, never stored), and the owner is told by mail as /register does.
 */
async function taken(
  ctx: RequestContext,
  form: Form,
  found: { emailOwner: UserRecord | null; usernameOwner: UserRecord | null; usernameTaken?: boolean },
): Promise<Answer> {
  const { rt } = ctx;
  if (!rt.config.returnGenericResponses) {
    const errors = (await takenErrors(ctx, form.email, form.username)) ?? {
      username: [{ code: "USERNAME_ALREADY_ASSOCIATED", params: { username: form.username ?? "" } }],
    };
    return formErrors(errors);
  }
  const lookalike = await rt.services.registration!.taken(ctx, form, found);
  rememberSignupBrowser(ctx, null);
  return notSignedIn(ctx, lookalike, rt.services.recoveryCodes!.newSet().codes);
}

async function created(
  ctx: RequestContext,
  state: CeremonyState,
  form: Form,
  user: UserRecord,
  codes: string[],
  userVerified: boolean,
): Promise<Answer> {
  const { rt } = ctx;
  const name = state.name!;
  // Confirming the address keeps this passkey only in this browser (see signup-browser.ts).
  rememberSignupBrowser(ctx, user);
  // The account is committed: from here on nothing may turn the success into an error answer.
  await afterCommit(rt, "the passkey's audit rows and events", async () => {
    await recordAudit(ctx, { event: "wan_registered", outcome: "success", user, details: { name, usage: "first" } });
    await rt.events.emit("wan_registered", { user, name });
    await recordAudit(ctx, {
      event: "mf_recovery_codes_generated",
      outcome: "success",
      user,
      details: { count: codes.length },
    });
    await rt.events.emit("mf_recovery_codes_generated", { user, count: codes.length });
  });
  // As /register: audit, user_registered, the welcome mail (the confirmation link when confirmation is on).
  const pending =
    (await afterCommit(rt, "the registration's announcements", () =>
      rt.services.registration!.registered(ctx, form, user),
    )) ??
    rt.services.confirmation?.pending(user) ??
    false;
  if (pending || (await afterCommit(rt, "the before.login hook", () => autoSignInVetoed(ctx, user))) !== false)
    return notSignedIn(ctx, user, codes);

  const result = await afterCommit(rt, "the sign-in after the passkey sign-up", () =>
    rt.pipeline.signIn(ctx, {
      user,
      authnVia: ["webauthn"],
      remember: state.remember,
      kind: "session",
      includeAuthToken: ctx.includeAuthToken(),
      // A passkey created with user verification (PIN, biometric) is two factors in one, as at /wan-signin.
      firstFactorIsMultiFactor: userVerified && wanConfig(rt).allowAsMultiFactor,
    }),
  );
  // The account stands whatever the sign-in decided: a refusal (or a failure) only means nobody is signed in.
  if (!result || result.kind === "deny") return notSignedIn(ctx, user, codes);
  const next = rt.config.urls.postLoginView;
  const outcome = await completeSignIn(ctx, result, {
    action: "login",
    extra: { tf_required: false, recovery_codes: codes },
  });
  const done = (signedIn: boolean, to: string): SignupView => ({
    step: "done",
    codes,
    signedIn,
    pendingEmail: null,
    next: to,
  });
  if (outcome.kind === "ok") return { ...outcome, browser: { view: done(true, next) } };
  // A second factor to set up first: its next step, with the codes (they are never shown again).
  if (outcome.kind === "interrupted") {
    const to = outcome.redirect ?? rt.config.urls.login;
    return ok<JsonPayload, SignupView>(
      { ...outcome.payload, recovery_codes: codes },
      {
        csrf: true,
        status: outcome.status,
        browser: { view: done(false, to) },
      },
    );
  }
  return outcome;
}

/** The answer of a sign-up that signed nobody in (pending confirmation, a vetoed sign-in, a taken address). */
async function notSignedIn(ctx: RequestContext, user: UserRecord, codes: string[]): Promise<Answer> {
  const { rt } = ctx;
  const pending = rt.services.confirmation?.pending(user) ?? false;
  const payload = await signedInPayload(ctx, user, null, {
    ...(pending ? {} : { tf_required: false }),
    recovery_codes: codes,
  });
  const view: SignupView = {
    step: "done",
    codes,
    signedIn: false,
    pendingEmail: pending ? user.email : null,
    next: rt.config.urls.login,
  };
  return ok(payload, { csrf: true, browser: { view } });
}
