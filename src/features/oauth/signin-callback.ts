import { recordAudit } from "../../core/audit.js";
import { completeSignIn, hookVeto } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { lockState } from "../../core/lockout/lockout.js";
import type { FieldErrors } from "../../core/http/respond.js";
import type { MessageKey } from "../../core/messages.js";
import { redirect, type Outcome, type Redirect } from "../../core/outcome.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { spaLocation, spaMode } from "../../kit/http/spa.js";
import { oauthAuthnVia } from "./authn-via.js";
import { oauthSlice } from "./config.js";
import { failureRedirect, type FlowFailure } from "./failure.js";
import { finishAtProvider, type Finished } from "./finish.js";
import { completeLink } from "./link.js";
import type { ProviderIdentity } from "./providers/types.js";
import { decideUser, settleUser } from "./resolve-user.js";
import { linkedIdentityStore } from "./store.js";

/**
 * GET <response>/<name> (FS oauthresponse): the provider sent the browser back. A flow started to link an
 * identity from the account page is completed by link.ts; a sign-in finds its user (resolve-user.ts), asks the
 * app's before-hook, and signs in through the one pipeline, which applies every check a password sign-in gets
 * (deactivation, confirmation, the second factor); an account whose lockout is closed is refused first, as a
 * right password would be. The upstream amr/acr go with the session as
 * information only (authn-via.ts).
 *
 * Every answer is a redirect — the callback is a browser navigation (FS: "all responses MUST be redirects"):
 * signed in → `next` or POST_LOGIN_VIEW (SPA: POST_OAUTH_LOGIN_VIEW?email&identity); a second factor to give →
 * its page (the pending sign-in is set, as FS sends every caller to its two-factor form); refused → the sign-in
 * page with the message (SPA: LOGIN_ERROR_VIEW?error=…).
 */
export const oauthResponseRoute = (responseUrl: string) =>
  defineRoute({
    id: "oauth.response",
    summary:
      "The provider's return: signs in (or links, for a flow started from the account page) and redirects the browser with the outcome.",
    method: "GET",
    path: `${responseUrl}/:name`,
    auth: "any",
    // A sign-in stopped at a second factor that sends a code draws the send limits.
    limits: ["send"],
    errors: [404],
    async handle(ctx, { params }): Promise<Outcome> {
      const finished = await finishAtProvider(ctx, params.name ?? "", ["login", "link"]);
      if (!finished.ok) return finished.answer;
      if (finished.flow.purpose === "link") return completeLink(ctx, finished);
      return signInByProvider(ctx, finished);
    },
  });

async function signInByProvider(ctx: RequestContext, finished: Extract<Finished, { ok: true }>): Promise<Redirect> {
  const { rt } = ctx;
  const { flow, identity, provider } = finished;
  const refuse = async (failure: FlowFailure, reason: string = failure.code): Promise<Redirect> => {
    await recordAudit(ctx, {
      event: "oauth_failed",
      outcome: "failure",
      user: null,
      identity: identity.email ?? `${identity.provider}:${identity.subject}`,
      details: { provider: identity.provider, purpose: "login", reason },
    });
    return failureRedirect(ctx, "login", provider.label, failure, flow.next);
  };

  const decision = await decideUser(ctx, provider, identity);
  if (decision.kind === "refuse") return refuse(decision.failure, decision.reason);
  const existing = decision.kind === "register" ? null : decision.user;
  // The account's lockout applies as to a password: while it waits or is locked, no way in is judged (and a
  // sign-in here would forget the failures that closed it).
  if (existing && (await lockState(rt, existing)).locked) return refuse({ code: "LOCKED_OUT" });
  // The app's say before anything is written: its oauth_signin hook (and its register hook for a new account).
  const registering = decision.kind === "register";
  const veto =
    (await hookVeto(ctx, "oauth_signin", existing)) ?? (registering ? await hookVeto(ctx, "register", null) : null);
  if (veto) return failureRedirect(ctx, "login", provider.label, firstFailure(veto.errors), flow.next);
  // A link onto an existing account is a write: the pipeline's checks that can refuse (deactivated, unconfirmed,
  // an app's check) are asked before it, so a refused sign-in leaves no link behind.
  if (decision.kind === "link") {
    const denied = await pipelineDenies(ctx, decision.user, identity);
    if (denied) return failureRedirect(ctx, "login", provider.label, denied, flow.next);
  }
  const settled = await settleUser(ctx, provider, identity, decision);
  if (!settled.ok) return refuse(settled.failure);
  const { user } = settled;

  const result = await rt.pipeline.signIn(ctx, {
    user,
    authnVia: oauthAuthnVia(identity),
    remember: flow.remember,
    kind: "session",
    includeAuthToken: false,
  });
  // The identity's last use: only a sign-in that went through (or waits for its second factor) used it.
  if (decision.kind === "linked" && (result.kind === "signed-in" || result.kind === "interrupt"))
    await rt.datastore.store(linkedIdentityStore).recordUse(decision.identityId, ctx.now());
  const outcome = await completeSignIn(ctx, result, { action: "oauth_signin", denyField: "" });
  if (outcome.kind === "form-errors")
    return failureRedirect(ctx, "login", provider.label, firstFailure(outcome.errors), flow.next);
  // The pipeline set the pending sign-in: the browser goes to the second factor's page (FS does so for an SPA
  // too: the callback is no JSON request).
  if (outcome.kind === "interrupted") return redirect(outcome.redirect ?? rt.url(rt.config.urls.login));
  if (spaMode(ctx)) {
    const view = sliceOf(rt.config, oauthSlice).postOauthLoginView ?? rt.config.urls.postLoginView;
    return redirect(spaLocation(ctx, view, { email: user.email, identity: user.username ?? user.email }));
  }
  return redirect(flow.next ?? rt.config.urls.postLoginView);
}

/**
 * The pipeline's refusal of this user, asked before anything is written. The second factor is not asked here
 * (its check would start the factor — send a code — and the sign-in that follows asks it again); only a deny
 * counts: an interruption is the sign-in's to make.
 */
async function pipelineDenies(
  ctx: RequestContext,
  user: UserRecord,
  identity: ProviderIdentity,
): Promise<FlowFailure | null> {
  const outcome = await ctx.rt.pipeline.check(ctx, {
    user,
    authnVia: oauthAuthnVia(identity),
    remember: false,
    kind: "session",
    firstFactorIsMultiFactor: true,
  });
  if (outcome.kind !== "deny") return null;
  const params = Object.fromEntries(Object.entries(outcome.params ?? {}).map(([k, v]) => [k, String(v)]));
  return { code: outcome.code, params };
}

/** The first message of a refusal (a pipeline denial, a hook veto) as the flow failure the browser is shown. */
function firstFailure(errors: FieldErrors): FlowFailure {
  const ref = Object.values(errors).flat()[0] ?? { code: "API_ERROR" };
  const params = Object.fromEntries(Object.entries(ref.params ?? {}).map(([k, v]) => [k, String(v)]));
  return { code: ref.code as MessageKey, params, ...(ref.text ? { text: ref.text } : {}) };
}
