import type { RequestContext } from "../../core/context.js";
import { html, layout } from "../../pages/kit.js";

/** The profile page: the caller's serialized user, read-only (browsers cannot send PUT; SPAs use JSON). */
export function profilePage(ctx: RequestContext, user: Record<string, unknown>): string {
  const shown = (v: unknown) =>
    v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  const rows = Object.entries(user).map(
    ([k, v]) => html`<tr><th scope="row">${k}</th><td data-field="${k}">${shown(v)}</td></tr>`,
  );
  return layout("Your profile", html`<table><tbody>${rows}</tbody></table>`, { appName: ctx.rt.config.appName });
}
