import { randomBytes } from "node:crypto";
import { z } from "zod";
import { defineCodec } from "../../core/codec.js";
import type { RequestContext } from "../../core/context.js";
import { hostCookieName } from "../../core/cookie-names.js";
import type { UserRecord } from "../../datastore/contracts.js";

/**
 * The browser that signed an account up with a passkey, remembered in a signed HttpOnly cookie (the user's id
 * and fs_uniquifier) for as long as the confirmation link lives. Confirming the address keeps the account's
 * passkeys only in that browser: anyone can sign up with an address they do not own, and the owner clicking
 * the confirmation link must not accept the stranger's passkey as a way into their account.
 */
const COOKIE = "rampart_wan_signup";

const signupBrowserCodec = defineCodec({
  purpose: "wan-signup-browser",
  maxAgeSeconds: (rt) => rt.services.confirmation?.withinSeconds,
  wire: z.object({ i: z.number().int(), u: z.string() }),
  encode: (v: { id: number; uniquifier: string }) => ({ i: v.id, u: v.uniquifier }),
  decode: (w) => ({ id: w.i, uniquifier: w.u }),
});

/**
 * Set after a sign-up that left its account unconfirmed. `user` null (a taken address answered as a fresh
 * sign-up) sets a cookie of the same shape naming nobody, so the answer does not tell the two apart.
 */
export function rememberSignupBrowser(ctx: RequestContext, user: UserRecord | null): void {
  const { rt } = ctx;
  const within = rt.services.confirmation?.withinSeconds;
  if (within === undefined || (user && user.confirmedAt)) return;
  const value = user
    ? { id: user.id, uniquifier: user.fsUniquifier }
    : { id: 0, uniquifier: randomBytes(16).toString("hex") };
  ctx.setCookie(hostCookieName(rt.config, COOKIE), signupBrowserCodec.seal(rt, value), {
    httpOnly: true,
    secure: rt.config.session.cookieSecure,
    // Lax: the confirmation link is opened from a mail client (a top-level navigation from another site).
    sameSite: "Lax",
    path: "/",
    maxAge: within,
  });
}

/** True when the request carries the sign-up cookie of this (still unconfirmed) user. */
export function isSignupBrowser(ctx: RequestContext, user: UserRecord): boolean {
  const opened = signupBrowserCodec.open(ctx.rt, ctx.cookie(hostCookieName(ctx.rt.config, COOKIE)));
  return opened.ok && opened.value.id === user.id && opened.value.uniquifier === user.fsUniquifier;
}
