import type { UserRecord } from "../datastore/contracts.js";
import type { RequestContext } from "./context.js";
import type { HookedAction } from "./events.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "./hooks.js";
import type { FieldErrors } from "./http/respond.js";
import { formErrors, interrupted, ok, type FormErrors, type JsonPayload, type Outcome } from "./outcome.js";
import type { SignInResult } from "./sign-in.js";
import type { IssuedTokens } from "./tokens/issue.js";

/**
 * The answer every endpoint that signs someone in gives once the pipeline decided: a denial becomes the form's
 * error (the same generic one for every failure when generic responses are on), an interruption the "next
 * step" payload (nobody is signed in), a success runs the after-hook and answers the user payload — browsers go
 * to `next` or the post-login view.
 */
export interface CompleteSignIn<V> {
  /** The hooked action whose after-hook runs on success ("login", "tf_validate", "us_signin"…). */
  action: HookedAction;
  /** The field a denial is reported on; default the one the check named (its "email" read as `identityField`). */
  denyField?: string;
  identityField?: string;
  /** Report every denial as GENERIC_AUTHN_FAILED when generic responses are on (first-factor endpoints). */
  generic?: boolean;
  /** Where a browser goes after success; default the post-login view. */
  next?: string | null;
  /** Extra keys of the success payload (e.g. `tf_required: false`). */
  extra?: JsonPayload;
  /** What the page needs to re-render on a denial. */
  view?: V;
}

export async function completeSignIn<V = never>(
  ctx: RequestContext,
  result: SignInResult,
  how: CompleteSignIn<V>,
): Promise<Outcome<SignedInPayload, V>> {
  const { config } = ctx.rt;
  if (result.kind === "deny") {
    if (how.generic && config.returnGenericResponses)
      return formErrors({ "": [{ code: "GENERIC_AUTHN_FAILED" }] }, { view: how.view });
    const named = result.field === "email" && how.identityField ? how.identityField : result.field;
    const field = how.denyField ?? named;
    return formErrors(
      { [field]: [{ code: result.code, params: result.params }] },
      { status: result.status, view: how.view },
    );
  }
  if (result.kind === "interrupt")
    return interrupted(result.response, { status: result.status, redirect: result.redirect });
  await runAfterHook(ctx, how.action, result.user);
  return ok(await signedInPayload(ctx, result.user, result.tokens, how.extra), {
    csrf: true,
    browser: { redirect: how.next ?? config.urls.postLoginView },
  });
}

/**
 * The success payload of an authenticating endpoint: the user, with the auth token and its expiry when one was
 * asked for (and the refresh token when refresh tokens are on and not kept in a cookie).
 */
export type SignedInPayload = { user: Record<string, unknown> } & JsonPayload;

export async function signedInPayload(
  ctx: RequestContext,
  user: UserRecord,
  tokens: IssuedTokens | null,
  extra: JsonPayload = {},
): Promise<SignedInPayload> {
  const serialized = { ...(await ctx.rt.serializeUser(user)) };
  if (tokens) {
    serialized.authentication_token = tokens.authToken;
    // When the token stops working, so a client can refresh in time without decoding it.
    serialized.authentication_token_expires_at = new Date(tokens.authTokenExpiresAtSeconds * 1000).toISOString();
  }
  if (tokens?.refreshToken) serialized.refresh_token = tokens.refreshToken;
  return { user: serialized, ...extra };
}

/** The app's `before` hook for an action, as the form error its veto becomes (null: go on). */
export async function hookVeto(
  ctx: RequestContext,
  action: HookedAction,
  user: UserRecord | null,
  view?: unknown,
): Promise<FormErrors<any> | null> {
  const veto = await runBeforeHook(ctx, action, user);
  return veto ? formErrors(vetoErrors(veto), { view }) : null;
}

export type { FieldErrors };
