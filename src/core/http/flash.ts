import type { RequestContext } from "../context.js";
import type { Flash } from "../../pages/kit.js";
import { hostCookieName } from "../cookie-names.js";

/**
 * Flash messages across a redirect (FS's flash()): a short-lived signed cookie set by the redirecting
 * endpoint and consumed by the next page that renders. Signed so nobody can plant text on our pages.
 */
const COOKIE = "rampart_flash";
const PURPOSE = "flash";

export function setFlash(ctx: RequestContext, category: Flash["category"], message: string): void {
  const value = ctx.rt.signer.sign(PURPOSE, { c: category, m: message.slice(0, 500) }, ctx.nowSeconds());
  ctx.setCookie(hostCookieName(ctx.rt.config, COOKIE), value, { httpOnly: true, secure: ctx.rt.config.session.cookieSecure, sameSite: "Lax", maxAge: 60 });
}

export function takeFlashes(ctx: RequestContext): Flash[] {
  const name = hostCookieName(ctx.rt.config, COOKIE);
  const raw = ctx.cookie(name);
  if (!raw) return [];
  ctx.deleteCookie(name, { httpOnly: true, secure: ctx.rt.config.session.cookieSecure, sameSite: "Lax" });
  const verified = ctx.rt.signer.verify(PURPOSE, raw, { maxAgeSeconds: 120, nowSeconds: ctx.nowSeconds() });
  if (!verified.ok) return [];
  const { c, m } = verified.payload;
  if ((c !== "error" && c !== "info" && c !== "success") || typeof m !== "string") return [];
  return [{ category: c, message: m }];
}
