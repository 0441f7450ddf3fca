import type { RequestContext } from "../../core/context.js";
import { RefusalError } from "../../core/errors.js";
import { authenticate } from "../../core/identity.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { totpConfig } from "../../kit/passcodes/index.js";
import type { PageProps } from "../../core/render.js";
import { identityAttributes } from "../../core/users.js";
import { qrCodeDataUrl, totpUri } from "../../crypto/totp/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import type { Flash } from "../../pages/kit.js";
import { activeMethods, sealedSecrets, setupMethods, usConfig } from "./methods.js";
import { setupPage, type SetupPageOptions } from "./pages.js";
import { unifiedSigninStore } from "./store.js";

/** What /us-setup and /us-setup/<state> share: the page, the methods payload, and the compare-and-set write. */

/** What the set-up page shows: the user as it is now (after a change), a setup waiting for its code, a flash. */
export interface SetupView {
  user: UserRecord;
  pending?: SetupPageOptions["pending"];
  flashes?: Flash[];
}

export async function setupPageFor(ctx: RequestContext, props: PageProps<unknown, SetupView>): Promise<string> {
  const { rt } = ctx;
  // Both routes require a caller: without a view (an over-long field), the one the runner authenticated.
  const user = props.view?.user ?? (await authenticate(ctx, rt.config.apiEnabledMethods))?.user;
  if (!user) throw new RefusalError("UNAUTHENTICATED", 401);
  return setupPage(ctx, {
    csrfToken: props.csrfToken,
    active: activeMethods(rt, user),
    available: setupMethods(rt),
    phone: user.usPhoneNumber,
    askFactorCode: factorOf(ctx, user) !== null,
    errors: props.errors,
    flashes: props.view?.flashes ?? [],
    pending: props.view?.pending ?? null,
  });
}

/** The user's methods (GET /us-setup, and the answer after a removal). */
export function setupInfo(ctx: RequestContext, user: UserRecord) {
  return {
    identity_attributes: identityAttributes(ctx.rt),
    available_methods: usConfig(ctx.rt).enabledMethods,
    active_methods: activeMethods(ctx.rt, user),
    setup_methods: setupMethods(ctx.rt),
    phone: user.usPhoneNumber,
  };
}

/** The user's two-factor method (null: none, or two-factor off): a setup state records it (see setup-validate.ts). */
export function factorOf(ctx: RequestContext, user: UserRecord): string | null {
  return ctx.rt.services.twoFactor?.currentMethod(user) ?? null;
}

/** The QR code (and key) an authenticator app scans for this secret. */
export async function authenticatorQr(
  ctx: RequestContext,
  user: UserRecord,
  secret: string,
): Promise<{ dataUrl: string; key: string }> {
  const uri = totpUri({ secret, issuer: totpConfig(ctx.rt).issuer!, account: user.username ?? user.email });
  return { dataUrl: await qrCodeDataUrl(uri), key: secret };
}

/**
 * Applies `change` to the user's current sealed secrets (and sets the phone unless `phone` is undefined) by
 * compare-and-set, re-reading and retrying when another setup changed them in between. Null: user gone.
 */
export async function saveMethods(
  ctx: RequestContext,
  user: UserRecord,
  change: (current: Record<string, string>) => Record<string, string>,
  phone: string | null | undefined,
): Promise<UserRecord | null> {
  const users = ctx.rt.datastore.users;
  let current: UserRecord | null = user;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    const next = change(sealedSecrets(current));
    const nextSecrets = Object.keys(next).length ? JSON.stringify(next) : null;
    const nextPhone = phone === undefined ? (next.sms ? current.usPhoneNumber : null) : phone;
    if (
      await ctx.rt.datastore
        .store(unifiedSigninStore)
        .replaceMethods(
          current.id,
          { secrets: current.usTotpSecrets, phone: current.usPhoneNumber },
          { secrets: nextSecrets, phone: nextPhone },
        )
    ) {
      return users.findById(current.id);
    }
    current = await users.findById(current.id);
  }
  return null;
}

/** Every added or removed way to sign in is told to the account's mailbox (after the change is committed). */
export async function notifyMethodsChanged(
  ctx: RequestContext,
  user: UserRecord,
  methods: string[],
  removed: boolean,
): Promise<void> {
  const context = { subject: usConfig(ctx.rt).noticeSubject, methods: methods.join(", "), removed, email: user.email };
  await deliverMail(ctx, "us_methods_changed", user.email, context, user);
}
