import { z } from "zod";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { flag, text } from "../../core/input.js";
import { ok, type Outcome } from "../../core/outcome.js";
import { csrfToken } from "../../kit/schemas.js";
import { safeNext } from "../../kit/http/redirects.js";
import { beginFlow } from "./begin.js";
import { providersOf } from "./providers/index.js";

/**
 * POST <start>/<name> (FS oauthstart): sends an anonymous browser to the provider to sign in. Signed in already:
 * JSON 400 ANONYMOUS_USER_REQUIRED, a browser back to POST_LOGIN_VIEW (the route is anonymous-only, as FS). An
 * API caller (an SPA's fetch) gets `{location}` to navigate to. `next` (query or form) is kept in the flow only
 * when it passes the app's redirect rules; any other value is dropped, so it can never become a redirect target
 * after the provider (as FS, the sign-in then lands on POST_LOGIN_VIEW).
 */
const startInput = z.object({ next: text(), remember: flag });

/** The flow's `next`: the caller's, made safe, or null. */
export function flowNext(ctx: RequestContext, raw: string | undefined): string | null {
  const value = raw ?? ctx.url.searchParams.get("next");
  return safeNext(ctx, value);
}

/** `remember` from the form or the query (as /login's checkbox), else the app's default. */
function rememberOf(ctx: RequestContext, fromBody: boolean | undefined): boolean {
  if (fromBody !== undefined) return fromBody;
  const parsed = flag.safeParse(ctx.url.searchParams.get("remember") ?? undefined);
  return (parsed.success ? parsed.data : undefined) ?? ctx.rt.config.defaultRememberMe;
}

export const oauthStartRoute = (startUrl: string) =>
  defineRoute({
    id: "oauth.start",
    summary:
      "Start signing in with a provider: a browser is sent to it (302); an API caller gets the `location` to navigate to.",
    method: "POST",
    path: `${startUrl}/:name`,
    auth: "anonymous-only",
    input: startInput,
    output: z.object({ location: z.string() }),
    errors: [404, 503],
    // beginFlow answers `{location}` or a refusal (its Outcome is not narrowed to this payload).
    async handle(ctx, { input, params }): Promise<Outcome<any>> {
      return beginFlow(ctx, params.name ?? "", "login", {
        next: flowNext(ctx, input.next),
        remember: rememberOf(ctx, input.remember),
        uniquifier: null,
      });
    },
  });

/**
 * GET <start>: the providers an SPA may offer, each with the URL to POST (with the CSRF token given here) to
 * start signing in. Kept apart from the reauth payloads' `oauth_providers`, which FS defines as a list of names.
 */
export const oauthProvidersRoute = (startUrl: string) =>
  defineRoute({
    id: "oauth.providers",
    summary: "The sign-in providers this app offers, with each one's start URL, and a CSRF token to POST it with.",
    method: "GET",
    path: startUrl,
    auth: "any",
    output: z.object({
      providers: z.array(z.object({ name: z.string(), label: z.string(), start_url: z.string() })),
      csrf_token: csrfToken,
    }),
    async handle(ctx) {
      const providers = [...providersOf(ctx.rt).values()].map((p) => ({
        name: p.name,
        label: p.label,
        start_url: ctx.rt.url(`${startUrl}/${encodeURIComponent(p.name)}`),
      }));
      return ok({ providers }, { csrf: true });
    },
  });
