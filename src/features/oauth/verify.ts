import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import { setFlash } from "../../core/http/flash.js";
import { text } from "../../core/input.js";
import { redirect, refused, type Outcome } from "../../core/outcome.js";
import { reauthenticate } from "../../core/reauthenticate.js";
import { safeNext } from "../../kit/http/redirects.js";
import { spaLocation, spaMode } from "../../kit/http/spa.js";
import { oauthAuthnVia } from "./authn-via.js";
import { beginFlow } from "./begin.js";
import { oauthSlice } from "./config.js";
import { finishAtProvider } from "./finish.js";
import { flowOwner, refuseFlow, vetoFailure } from "./flow-owner.js";
import { findIdentity } from "./find-identity.js";
import { linkedIdentityStore } from "./store.js";

/**
 * POST /login/oauth-verify-start/<name> and GET /login/oauth-verify-response/<name>: re-authentication
 * ("freshness") with a provider (FS oauth_verify_start / oauth_verify_response). The flow is bound to the
 * signed-in user who started it, and the identity the provider returns must be linked to that same user: another
 * account's identity, or one linked to nobody, proves nothing about who holds this session (FS advisory
 * GHSA-97r5-pg8x-p63p). Every answer of the return route is a redirect, as FS.
 */
export const postVerifyStartRoute = (path: string) =>
  defineRoute({
    id: "oauth-verify-start",
    summary: "Re-authenticate with a provider: redirects to it (API callers: {location} to navigate to).",
    method: "POST",
    path: `${path}/:name`,
    // Authenticated, not fresh: this is how a stale session becomes fresh again (FS @auth_required).
    auth: "authenticated",
    input: z.object({ next: text() }),
    output: z.object({ location: z.string() }),
    errors: [400, 404, 503],
    async handle(ctx, { input, caller, params }) {
      const rawNext = input.next ?? ctx.url.searchParams.get("next");
      const next = safeNext(ctx, rawNext);
      if (rawNext && !next) return invalidNext(ctx);
      return beginFlow(ctx, params.name!, "verify", {
        next,
        remember: false,
        uniquifier: caller.user.fsUniquifier,
      }) as Promise<Outcome<{ location: string }>>;
    },
  });

/** A `next` that is not this app's: refused (the verify page with the message, for browsers). */
function invalidNext(ctx: RequestContext) {
  const { rt } = ctx;
  const message = rt.message("INVALID_REDIRECT");
  const page = rt.services.reauthChoices?.find((c) => c.verifyUrl)?.verifyUrl ?? rt.config.urls.verify;
  return refused("INVALID_REDIRECT", 400, {
    extra: { field_errors: { next: [message] } },
    browser: { redirect: rt.url(page), flash: { category: "error", message } },
  });
}

export const getVerifyResponseRoute = (path: string) =>
  defineRoute({
    id: "oauth-verify-response",
    summary: "The provider's return from a re-authentication: a fresh session, then a redirect (always a redirect).",
    method: "GET",
    path: `${path}/:name`,
    // The browser comes back from the provider; who it is is checked below against the flow (a redirect either way).
    auth: "any",
    errors: [404],
    async handle(ctx, { params }) {
      const { rt } = ctx;
      const finished = await finishAtProvider(ctx, params.name!, ["verify"]);
      if (!finished.ok) return finished.answer;
      const { identity, provider, flow } = finished;
      const caller = await flowOwner(ctx, finished);
      if (!caller)
        return refuseFlow(ctx, finished, null, "other_user", {
          code: "OAUTH_FLOW_OTHER_USER",
          params: { provider: provider.label },
        });
      const store = rt.datastore.store(linkedIdentityStore);
      const found = await findIdentity(store, identity);
      if ("issuerMismatch" in found)
        return refuseFlow(ctx, finished, caller, "issuer_mismatch", {
          code: "OAUTH_ISSUER_MISMATCH",
          params: { provider: provider.label },
        });
      const linked = found.record;
      if (!linked || linked.userId !== caller.user.id)
        return refuseFlow(ctx, finished, caller, linked ? "identity_of_other_user" : "identity_not_linked", {
          code: "OAUTH_VERIFY_OTHER_IDENTITY",
          params: { provider: provider.label },
        });
      const user = caller.user;
      const veto = await hookVeto(ctx, "oauth_verify", user);
      if (veto) return refuseFlow(ctx, finished, caller, "hook_veto", vetoFailure(veto.errors));
      await reauthenticate(ctx, caller, oauthAuthnVia(identity));
      await store.recordUse(linked.id, ctx.now());
      await recordAudit(ctx, {
        event: "verify",
        outcome: "success",
        user,
        details: { via: "oauth", provider: provider.name },
      });
      await runAfterHook(ctx, "oauth_verify", user);
      const urls = rt.config.urls;
      if (spaMode(ctx)) {
        const view = sliceOf(rt.config, oauthSlice).postOauthVerifyView ?? urls.postVerifyView ?? urls.postLoginView;
        return redirect(spaLocation(ctx, view, { email: user.email, identity: user.username ?? user.email }));
      }
      setFlash(ctx, "success", rt.message("REAUTHENTICATION_SUCCESSFUL"));
      return redirect(flow.next ?? urls.postVerifyView ?? urls.postLoginView);
    },
  });
