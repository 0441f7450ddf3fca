import type { RampartConfig } from "../../core/config/index.js";
import type { RequestContext } from "../../core/context.js";

/**
 * Open-redirect defence. A `next` value is accepted only when, resolved with the WHATWG URL parser against the
 * app origin, it stays on that origin (or on an explicitly allowed subdomain). The returned location is
 * re-serialized from the parsed URL, so percent-encoding neutralizes browser leniency (`\`, tabs, `//`).
 */
export function safeRedirect(raw: unknown, appOrigin: string, config: RampartConfig): string | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 2048) return null;
  // Control characters and backslashes are never needed in a legitimate target; browsers treat them leniently.
  if (/[\u0000-\u001f\u007f\\]/.test(raw) || raw.trim() !== raw) return null;
  let target: URL;
  let base: URL;
  try {
    base = new URL(appOrigin);
    target = new URL(raw, base);
  } catch {
    return null;
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") return null;
  if (target.username || target.password) return null;
  if (target.origin === base.origin) {
    const local = target.pathname + target.search + target.hash;
    // pathname from the parser always starts with "/"; refuse any scheme-relative survivor.
    return local.startsWith("//") ? null : local;
  }
  return allowedOtherHost(target, config) ? target.href : null;
}

function allowedOtherHost(target: URL, config: RampartConfig): boolean {
  const host = target.hostname.toLowerCase();
  const { serverName, allowSubdomains, baseDomain, allowedSubdomains } = config.redirect;
  if (serverName && allowSubdomains) {
    const name = serverName.toLowerCase().split(":")[0]!;
    if (host === name || host.endsWith("." + name)) return true;
  }
  if (baseDomain) {
    const base = baseDomain.toLowerCase();
    for (const sub of allowedSubdomains) {
      if (sub === "." ? host === base : host === `${sub.toLowerCase()}.${base}`) return true;
    }
  }
  return false;
}

/** A `next` the caller sent, made safe for this request's app (null: none given, or not one of ours). */
export function safeNext(ctx: RequestContext, raw: unknown): string | null {
  return safeRedirect(raw, ctx.appOrigin(), ctx.rt.config);
}
