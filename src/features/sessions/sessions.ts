import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { runAfterHook, runBeforeHook, vetoErrors } from "../../core/hooks.js";
import type { Caller } from "../../core/identity.js";
import { readInput, str } from "../../core/input.js";
import { formErrorJson, htmlResponse, jsonResponse, redirectResponse } from "../../core/http/respond.js";
import { forgetUserRemember, rememberIdOf } from "../../core/remember.js";
import { clearSessionCookies } from "../../core/session-cookies.js";
import { recordSessionEnds } from "../../core/session-ends.js";
import type { SessionRecord } from "../../datastore/contracts.js";
import { sessionsPage } from "./pages.js";
import { z } from "zod";

/**
 * GET /sessions lists the caller's live sessions (never a token value); POST /sessions/revoke ends one
 * session by id, or every other session, or all of them. Only the caller's own sessions can be named:
 * someone else's id answers exactly like an unknown id.
 */
export interface SessionView {
  id: string;
  current: boolean;
  created_at: string;
  last_active_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
}

async function liveSessions(ctx: RequestContext, caller: Caller): Promise<SessionRecord[]> {
  const now = ctx.now().getTime();
  const idleMs = ctx.rt.config.session.idleTimeoutSeconds * 1000;
  const all = await ctx.rt.sessions.listForUser(caller.user.id);
  return all.filter((s) => s.expiresAt.getTime() > now && s.lastActiveAt.getTime() + idleMs > now && s.fsUniquifier === caller.user.fsUniquifier);
}

function view(s: SessionRecord, caller: Caller): SessionView {
  const idle = s.lastActiveAt;
  return {
    id: s.id,
    current: caller.session?.id === s.id,
    created_at: s.createdAt.toISOString(),
    last_active_at: idle.toISOString(),
    expires_at: s.expiresAt.toISOString(),
    ip: s.ip,
    user_agent: s.userAgent,
  };
}

export async function getSessions(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const sessions = (await liveSessions(ctx, caller!)).map((s) => view(s, caller!));
  sessions.sort((a, b) => Number(b.current) - Number(a.current) || b.last_active_at.localeCompare(a.last_active_at));
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { sessions, csrf_token: csrfToken });
  return htmlResponse(ctx, 200, sessionsPage(ctx, { sessions, csrfToken }));
}

const revokeInput = { id: str(64, "INVALID_SESSION_ID"), scope: z.enum(["one", "others", "all"]).optional() };

export async function postRevoke(ctx: RequestContext, caller: Caller | null): Promise<Response> {
  const { rt } = ctx;
  const me = caller!;
  const input = await readInput(ctx, revokeInput);
  const scope = input.scope ?? (input.id ? "one" : undefined);
  if (!scope || (scope === "one" && !input.id)) {
    return formErrorJson(ctx, { id: [{ code: "INVALID_SESSION_ID" }] });
  }
  const veto = await runBeforeHook(ctx, "revoke_session", me.user);
  if (veto) return formErrorJson(ctx, vetoErrors(veto));
  const currentId = me.session?.id ?? null;
  let revoked: string[] = [];
  if (scope === "one") {
    const target = await rt.sessions.findById(input.id!);
    if (!target || target.userId !== me.user.id) {
      return ctx.wantsJson ? formErrorJson(ctx, { id: [{ code: "INVALID_SESSION_ID" }] }) : redirectResponse(ctx, rt.url(rt.config.urls.sessions));
    }
    // The session's remember cookie goes with it (in the database first: it is what would let a copy back in).
    const rememberId = rememberIdOf(target);
    if (rememberId) await rt.datastore.remember.delete(rememberId);
    await recordSessionEnds(rt, [target.id], ctx.now());
    if (await rt.sessions.delete(target.id)) revoked = [target.id];
  } else {
    // Every remember cookie of the user goes too, also those whose session already ended ("others": but ours).
    await forgetUserRemember(rt, me.user.id, scope === "others" ? rememberIdOf(me.session) : null);
    const before = await rt.sessions.listForUser(me.user.id);
    revoked = before.map((s) => s.id).filter((id) => scope === "all" || id !== currentId);
    await recordSessionEnds(rt, revoked, ctx.now());
    await rt.sessions.deleteForUser(me.user.id, scope === "others" ? currentId ?? undefined : undefined);
  }
  const endedOwn = currentId !== null && revoked.includes(currentId);
  if (endedOwn) {
    clearSessionCookies(ctx);
    ctx.sessionOverride = { caller: null };
  }
  await recordAudit(ctx, { event: "session_revoked", outcome: "success", user: me.user, details: { scope, count: revoked.length } });
  await rt.events.emit("session_revoked", { user: me.user, sessionIds: revoked, scope });
  await runAfterHook(ctx, "revoke_session", me.user);
  if (ctx.wantsJson) {
    const response: Record<string, unknown> = { revoked: revoked.length };
    if (!endedOwn && me.mechanism === "session") response.csrf_token = await issueCsrfToken(ctx);
    return jsonResponse(ctx, 200, response);
  }
  return redirectResponse(ctx, endedOwn ? rt.url(rt.config.urls.login) : rt.url(rt.config.urls.sessions));
}
