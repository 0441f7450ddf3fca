import { z } from "zod";
import { defineCodec } from "../codec.js";
import type { RequestContext } from "../context.js";
import type { Flash } from "../../pages/kit.js";
import { hostCookieName } from "../cookie-names.js";

/**
 * Flash messages across a redirect (FS's flash()): a short-lived signed cookie set by the redirecting
 * endpoint and consumed by the next page that renders. Signed so nobody can plant text on our pages.
 */
const COOKIE = "rampart_flash";
const flashCodec = defineCodec({
  purpose: "flash",
  maxAgeSeconds: () => 120,
  wire: z.object({ c: z.enum(["error", "info", "success"]), m: z.string() }),
  encode: (f: Flash) => ({ c: f.category, m: f.message.slice(0, 500) }),
  decode: (w): Flash => ({ category: w.c, message: w.m }),
});

export function setFlash(ctx: RequestContext, category: Flash["category"], message: string): void {
  const value = flashCodec.seal(ctx.rt, { category, message });
  ctx.setCookie(hostCookieName(ctx.rt.config, COOKIE), value, {
    httpOnly: true,
    secure: ctx.rt.config.session.cookieSecure,
    sameSite: "Lax",
    maxAge: 60,
  });
}

export function takeFlashes(ctx: RequestContext): Flash[] {
  const name = hostCookieName(ctx.rt.config, COOKIE);
  const raw = ctx.cookie(name);
  if (!raw) return [];
  ctx.deleteCookie(name, { httpOnly: true, secure: ctx.rt.config.session.cookieSecure, sameSite: "Lax" });
  const opened = flashCodec.open(ctx.rt, raw);
  return opened.ok ? [opened.value] : [];
}
