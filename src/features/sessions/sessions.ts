import { z } from "zod";
import { requestAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import type { Caller } from "../../core/identity.js";
import { str } from "../../core/input.js";
import { fieldError, ok, refused, type Refused } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { csrfToken } from "../../kit/schemas.js";
import { forgetEndedSession } from "../../core/session-writer.js";
import type { SessionRecord } from "../../datastore/contracts.js";
import { sessionsPage } from "./pages.js";
import { revokeSessions, type Revocation } from "../../core/revoke-sessions.js";

/**
 * GET /sessions lists the caller's live sessions (never a token value); POST /sessions/revoke ends one
 * session by id, or every other session, or all of them. Only the caller's own sessions can be named:
 * someone else's id answers exactly like an unknown id.
 */
const sessionView = z.object({
  id: z.string(),
  /** "refresh_token": a refresh token family (an app or API client signed in with tokens), ids prefixed "rt:". */
  kind: z.enum(["session", "refresh_token"]),
  current: z.boolean(),
  created_at: z.string(),
  last_active_at: z.string(),
  expires_at: z.string(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
});

export type SessionView = z.output<typeof sessionView>;

async function liveSessions(ctx: RequestContext, caller: Caller): Promise<SessionRecord[]> {
  const now = ctx.now().getTime();
  const idleMs = ctx.rt.config.session.idleTimeoutSeconds * 1000;
  const all = await ctx.rt.sessions.listForUser(caller.user.id);
  return all.filter(
    (s) =>
      s.expiresAt.getTime() > now &&
      s.lastActiveAt.getTime() + idleMs > now &&
      s.fsUniquifier === caller.user.fsUniquifier,
  );
}

function view(s: SessionRecord, caller: Caller): SessionView {
  return {
    id: s.id,
    kind: "session",
    current: caller.session?.id === s.id,
    created_at: s.createdAt.toISOString(),
    last_active_at: s.lastActiveAt.toISOString(),
    expires_at: s.expiresAt.toISOString(),
    ip: s.ip,
    user_agent: s.userAgent,
  };
}

/** The caller's live refresh token families (refresh tokens on), as entries of the same list. */
async function liveFamilies(ctx: RequestContext, caller: Caller): Promise<SessionView[]> {
  const families = ctx.rt.services.tokenFamilies;
  if (!families) return [];
  const own = await families.ownFamily(ctx, caller);
  return (await families.list(ctx.rt, caller.user)).map((f) => ({
    id: f.id,
    kind: "refresh_token" as const,
    current: own !== null && f.id.endsWith(`:${own}`),
    created_at: f.created_at,
    last_active_at: f.last_used_at,
    expires_at: f.expires_at,
    ip: f.ip,
    user_agent: f.user_agent,
  }));
}

export const sessionsRoute = (path: string) =>
  defineRoute({
    id: "sessions",
    summary:
      "The caller's live sessions and refresh token families (this device first), and a CSRF token to revoke them with.",
    method: "GET",
    path,
    auth: "authenticated",
    output: z.object({ sessions: z.array(sessionView), csrf_token: csrfToken }),
    page: (ctx, props: PageProps<unknown, { sessions: SessionView[] }>) =>
      sessionsPage(ctx, { sessions: props.view?.sessions ?? [], csrfToken: props.csrfToken }),
    async handle(ctx, { caller }) {
      const sessions = [
        ...(await liveSessions(ctx, caller)).map((s) => view(s, caller)),
        ...(await liveFamilies(ctx, caller)),
      ];
      sessions.sort(
        (a, b) => Number(b.current) - Number(a.current) || b.last_active_at.localeCompare(a.last_active_at),
      );
      return ok({ sessions }, { csrf: true, browser: { view: { sessions } } });
    },
  });

/** An id that names no session of the caller's: its field error for API callers; a browser goes back to the list. */
function unknownSession(ctx: RequestContext): Refused {
  const { rt } = ctx;
  return refused("INVALID_SESSION_ID", 400, {
    extra: { field_errors: { id: [rt.message("INVALID_SESSION_ID")] } },
    browser: { redirect: rt.url(rt.config.urls.sessions) },
  });
}

export const revokeSessionsRoute = (path: string) =>
  defineRoute({
    id: "sessions.revoke",
    summary: "End one of the caller's sessions (id), every other one (scope=others) or all of them (scope=all).",
    method: "POST",
    path,
    auth: "authenticated",
    input: z.object({ id: str(64, "INVALID_SESSION_ID"), scope: z.enum(["one", "others", "all"]).optional() }),
    // A new CSRF token only while the caller's own session goes on.
    output: z.object({ revoked: z.number().int(), csrf_token: csrfToken.optional() }),
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const scope = input.scope ?? (input.id ? "one" : undefined);
      const which: Revocation | null =
        scope === "one"
          ? input.id
            ? { scope, id: input.id }
            : null
          : scope === "others"
            ? {
                scope,
                keep: caller.session ?? null,
                // The family this very client holds (its access token's or its refresh cookie's) stays.
                keepFamily: (await rt.services.tokenFamilies?.ownFamily(ctx, caller)) ?? null,
              }
            : scope === "all"
              ? { scope }
              : null;
      if (!which) return fieldError("id", "INVALID_SESSION_ID");
      const veto = await hookVeto(ctx, "revoke_session", caller.user);
      if (veto) return veto;
      const currentId = caller.session?.id ?? null;
      const revoked = await revokeSessions(rt, caller.user, which, { audit: requestAudit(ctx), by: "self" });
      if (!revoked) return unknownSession(ctx);
      const endedOwn = currentId !== null && revoked.includes(currentId);
      if (endedOwn) forgetEndedSession(ctx);
      await runAfterHook(ctx, "revoke_session", caller.user);
      return ok(
        { revoked: revoked.length },
        {
          csrf: !endedOwn && caller.mechanism === "session",
          browser: { redirect: rt.url(endedOwn ? rt.config.urls.login : rt.config.urls.sessions) },
        },
      );
    },
  });
