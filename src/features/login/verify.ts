import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto, signedInPayload } from "../../core/complete-sign-in.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import { reauthExtras, reauthOffers } from "../../core/enforce.js";
import { authenticate } from "../../core/identity.js";
import { safeNext } from "../../kit/http/redirects.js";
import { text } from "../../core/input.js";
import { passwordCredential, verifyCredential } from "../../core/verify-credential.js";
import { tooManyAttempts } from "../../core/lockout/refusal.js";
import { fieldError, ok } from "../../core/outcome.js";
import { reauthenticate } from "../../core/reauthenticate.js";
import type { PageProps } from "../../core/render.js";
import { csrfToken, signedIn, userJson } from "../../kit/schemas.js";
import type { RequestContext } from "../../core/context.js";
import { pageExtras } from "../../core/page-extras.js";
import { verifyPage } from "./pages.js";

/**
 * GET/POST /verify: re-authentication ("freshness"). The caller proves their own password again; a session
 * gets a new identifier and a new authentication time, a token caller may ask for a new fresh token.
 */
interface VerifyView {
  next: string | null;
}

async function page(ctx: RequestContext, props: PageProps<unknown, VerifyView>): Promise<string> {
  const next = props.view ? props.view.next : safeNext(ctx, ctx.url.searchParams.get("next"));
  // The route is "authenticated": the runner resolved the caller already (authenticate caches it per request).
  const caller = await authenticate(ctx, ctx.rt.config.apiEnabledMethods);
  const links = caller ? (await reauthOffers(ctx, caller.user)).links : [];
  const extras = await pageExtras(ctx, "verify", { csrfToken: props.csrfToken, next, user: caller?.user ?? null });
  const flashes = props.errors ? [] : props.takeFlashes();
  return verifyPage(ctx, { csrfToken: props.csrfToken, next, errors: props.errors, links, extras, flashes });
}

export const getVerifyRoute = (path: string) =>
  defineRoute({
    id: "verify.form",
    summary: "The re-authentication form: the user, a CSRF token and the other ways to re-authenticate.",
    method: "GET",
    path,
    auth: "authenticated",
    output: z.looseObject({ user: userJson, csrf_token: csrfToken }),
    page,
    async handle(ctx, { caller }) {
      return ok(
        { user: await ctx.rt.serializeUser(caller.user), ...(await reauthExtras(ctx, caller.user)) },
        { csrf: true },
      );
    },
  });

export const postVerifyRoute = (path: string) =>
  defineRoute({
    id: "verify",
    summary: "Re-authenticate with the current password (a fresh session, or a fresh token when asked for).",
    method: "POST",
    path,
    auth: "authenticated",
    // 429: the account waits or is locked (the lockout); the credential was not judged.
    limits: ["credential"],
    input: z.object({ password: text(), next: text() }),
    output: signedIn,
    page,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const user = caller.user;
      const rawNext = input.next ?? ctx.url.searchParams.get("next");
      const view: VerifyView = { next: safeNext(ctx, rawNext) };
      if (rawNext && !view.next) return fieldError("next", "INVALID_REDIRECT", { view });
      if (!input.password) return fieldError("password", "PASSWORD_NOT_PROVIDED", { view });
      const veto = await hookVeto(ctx, "verify", user, view);
      if (veto) return veto;
      const checked = await verifyCredential(ctx, user, {
        kind: "verify",
        audit: "verify",
        // Re-authentication of the signed-in user: a success forgets the account's failures.
        completes: true,
        ...passwordCredential(ctx, input.password),
      });
      if (!checked.ok)
        return checked.reason === "BUDGET_SPENT"
          ? tooManyAttempts(checked, "LOCKED_OUT", { page: true, view })
          : fieldError("password", "INVALID_PASSWORD", { view });
      const authToken = await reauthenticate(ctx, caller, ["password"]);
      await recordAudit(ctx, { event: "verify", outcome: "success", user });
      await runAfterHook(ctx, "verify", user);
      return ok(await signedInPayload(ctx, user, authToken), {
        csrf: true,
        browser: { redirect: view.next ?? rt.config.urls.postVerifyView ?? rt.config.urls.postLoginView },
      });
    },
  });
