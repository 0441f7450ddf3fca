import type { RequestContext } from "../../core/context.js";
import { html, layout } from "../../pages/kit.js";
import type { SessionView } from "./sessions.js";

/** The "your sessions" page: one row per session, each with its own revoke button. */
export function sessionsPage(ctx: RequestContext, options: { sessions: SessionView[]; csrfToken: string }): string {
  const { rt } = ctx;
  const action = rt.url(rt.config.urls.revokeSessions);
  const hidden = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;
  const rows = options.sessions.map(
    // Agents and IPv6 addresses are long unbroken strings: they may wrap anywhere so a phone-width page fits.
    (
      s,
    ) => html`<tr data-session="${s.id}"><td class="wrap">${s.current ? "This device" : `${s.kind === "refresh_token" ? "App: " : ""}${s.user_agent ?? "Unknown device"}`}</td><td class="wrap">${s.ip ?? ""}</td>
<td>${s.last_active_at.replace("T", " ").slice(0, 16)} UTC</td>
<td><form class="inline" method="post" action="${action}">${hidden("csrf_token", options.csrfToken)}${hidden("id", s.id)}<button type="submit">Sign out</button></form></td></tr>`,
  );
  const body = html`<table><thead><tr><th>Device</th><th>IP</th><th>Last active</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<form method="post" action="${action}">${hidden("csrf_token", options.csrfToken)}${hidden("scope", "others")}<button type="submit">Sign out everywhere else</button></form>`;
  return layout("Your sessions", body, { appName: rt.config.appName });
}
