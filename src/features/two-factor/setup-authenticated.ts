import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { signedInPayload } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { humanizeSeconds } from "../../kit/humanize.js";
import type { Caller } from "../../core/identity.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { fieldError, formErrors, ok, refused, type Outcome } from "../../core/outcome.js";
import { csrfToken } from "../../kit/schemas.js";
import { verifyCredential } from "../../core/verify-credential.js";
import { defineCodec } from "../../core/codec.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { availableMethods, tooManyAttempts } from "./codes.js";
import { currentFactorRefusal } from "./fresh-factor.js";
import { codeInput, type setupInput } from "./schemas.js";
import { beginSetup, qrOf, setupInfo, type SetupView } from "./setup.js";
import { setupCodeCredential } from "./setup-changing.js";
import { clearPending, primaryMethod, readChange, secretBox, setChange, tfConfig, type TfChange } from "./state.js";

/**
 * Setup by a signed-in user: POST /tf-setup (fresh) returns a signed `tf_state_token` carrying the sealed new
 * secret and sets the same change as the pending cookie (FS's "changing" state). Either POST /tf-setup/<token>
 * (no cookies needed) or POST /tf-validate (setup-changing.ts) with a correct code commits it.
 * `setup: "disable"` switches two-factor off (not when it is required).
 *
 * When the user already has a method, disabling or replacing it needs — besides the usual freshness — proof of
 * that second factor: the session's own sign-in proved one within the freshness window, or the current
 * authenticator code comes with the request as `code` (fresh-factor.ts). Both changes mail the user a notice.
 */
const setupStateCodec = defineCodec({
  purpose: "tf-setup-state",
  maxAgeSeconds: (rt) => tfConfig(rt).setupWithinSeconds,
  wire: z.object({
    u: z.string(),
    m: z.string(),
    t: z.string(),
    p: z.string().nullable(),
    n: z.number().int(),
    pm: z.string().nullable(),
  }),
  encode: (c: TfChange) => ({ u: c.user, m: c.method, t: c.sealed, p: c.phone, n: c.nonce, pm: c.previous }),
  decode: (w): TfChange => ({ user: w.u, method: w.m, sealed: w.t, phone: w.p, nonce: w.n, previous: w.pm }),
});

/** GET /tf-setup, signed in: where two-factor stands for this user. */
export async function signedInForm(ctx: RequestContext, caller: Caller): Promise<Outcome<any, SetupView>> {
  return ok(setupInfo(ctx, caller.user), { csrf: true, browser: { view: { current: currentOf(ctx, caller.user) } } });
}

/** The page's "current method" block: shown (code field, disable option) only to users with a method. */
function currentOf(ctx: RequestContext, user: UserRecord): SetupView["current"] {
  const method = primaryMethod(user);
  return method ? { method, canDisable: !tfConfig(ctx.rt).required } : null;
}

/** POST /tf-setup, signed in and fresh (the route's requirement for this caller): start a new method (or disable two-factor). */
export async function signedInSetup(
  ctx: RequestContext,
  caller: Caller,
  input: z.output<typeof setupInput>,
): Promise<Outcome<any, SetupView>> {
  const { rt } = ctx;
  const user = caller.user;
  const cfg = tfConfig(rt);
  const view: SetupView = { current: currentOf(ctx, user) };
  const method = input.setup ?? "";
  if ((method === "disable" && cfg.required) || (method !== "disable" && !availableMethods(ctx).includes(method))) {
    return fieldError("setup", "TWO_FACTOR_METHOD_NOT_AVAILABLE", { view });
  }
  const unproved = await currentFactorRefusal(ctx, caller, input.code, "tf_setup");
  // A wrong code or a missing proof: browsers see the form again with the message (and the code field).
  if (unproved)
    return unproved.kind === "form-errors" ? { ...unproved, view } : { ...unproved, browser: { page: true, view } };
  if (method === "disable") {
    await rt.datastore.users.update(user.id, { tfPrimaryMethod: null, tfTotpSecret: null, tfPhoneNumber: null });
    const updated = (await rt.datastore.users.findById(user.id)) ?? user;
    await recordAudit(ctx, { event: "tf_disable", outcome: "success", user: updated });
    await rt.events.emit("tf_disabled", { user: updated });
    await notify(ctx, updated, "disabled", null);
    return ok(await signedInPayload(ctx, updated, null), { csrf: true, browser: { view: { current: null } } });
  }
  const begun = await beginSetup(ctx, user, method, input.phone);
  if ("errors" in begun) return formErrors(begun.errors, { status: begun.status, view });
  const previous = primaryMethod(user);
  const change: TfChange = {
    user: user.fsUniquifier,
    method,
    sealed: begun.sealed,
    phone: begun.phone,
    nonce: begun.nonce,
    previous,
  };
  const stateToken = setupStateCodec.seal(rt, change);
  // FS's "changing" state: the same new secret also waits in the two-factor cookie, so a browser or an SPA with
  // cookies finishes at /tf-validate {code}; clients without cookies use the state token.
  setChange(ctx, change);
  await recordAudit(ctx, {
    event: "tf_setup_started",
    outcome: "info",
    user,
    details: { method, via: "authenticated" },
  });
  // FS answers the chosen method in both fields (tf_primary_method is its older name).
  const payload = {
    tf_state: "validating_profile",
    tf_method: method,
    tf_primary_method: method,
    tf_state_token: stateToken,
    ...begun.extras,
  };
  return ok(payload, { csrf: true, browser: { view: { validating: true, qr: qrOf(begun) } } });
}

/** POST /tf-setup/<state>: commits the setup the state token describes after a correct code. */
export const postSetupStateRoute = (path: string) =>
  defineRoute({
    id: "tf-setup.state-token",
    summary:
      "Confirm a signed-in user's new two-factor method with its first code, by the state token (no cookies needed).",
    method: "POST",
    path,
    auth: "authenticated",
    limits: ["credential"],
    input: codeInput,
    output: z.object({
      tf_method: z.string(),
      tf_primary_method: z.string(),
      tf_phone: z.string().nullable(),
      csrf_token: csrfToken,
    }),
    async handle(ctx, { input, caller, params }) {
      const { rt } = ctx;
      const cfg = tfConfig(rt);
      const user = caller.user;
      const opened = setupStateCodec.open(rt, params.token ?? "");
      if (!opened.ok && opened.reason === "expired") {
        return {
          kind: "refused",
          refs: [{ code: "TWO_FACTOR_SETUP_EXPIRED", params: { within: humanizeSeconds(cfg.setupWithinSeconds) } }],
          status: 400,
        };
      }
      const change = opened.ok ? opened.value : null;
      const secret = change ? secretBox(rt).open(change.sealed) : null;
      // The token also names the method it was minted against: a token minted before a method existed
      // (freshness only) cannot later replace one without the proof of the current factor.
      const previous = primaryMethod(user);
      if (
        !change ||
        !secret ||
        change.user !== user.fsUniquifier ||
        change.previous !== previous ||
        !availableMethods(ctx).includes(change.method) ||
        (change.method === "sms" && change.phone === null)
      ) {
        return refused("API_ERROR", 400);
      }
      const { method, sealed } = change;
      const verdict = await verifyCredential(
        ctx,
        user,
        setupCodeCredential(ctx, user, { method, secret, code: input.code ?? "", nonce: change.nonce }),
      );
      if (!verdict.ok)
        return verdict.reason === "BUDGET_SPENT"
          ? tooManyAttempts(verdict)
          : fieldError("code", "TWO_FACTOR_INVALID_TOKEN");
      const phone = method === "sms" ? change.phone : null;
      // The same change may also wait in the two-factor cookie: it is settled now.
      if (readChange(ctx)) clearPending(ctx);
      const updated = await commitSetup(ctx, user, { method, sealed, phone, previous });
      return ok({ tf_method: method, tf_primary_method: method, tf_phone: updated.tfPhoneNumber }, { csrf: true });
    },
  });

/** Makes a validated new method the user's (event, audit, and the notice when it replaced one). */
export async function commitSetup(
  ctx: RequestContext,
  user: UserRecord,
  change: { method: string; sealed: string; phone: string | null; previous: string | null },
): Promise<UserRecord> {
  const { rt } = ctx;
  const { method, previous } = change;
  await rt.datastore.users.update(user.id, {
    tfPrimaryMethod: method,
    tfTotpSecret: change.sealed,
    tfPhoneNumber: method === "sms" ? change.phone : null,
  });
  const updated = (await rt.datastore.users.findById(user.id)) ?? user;
  await recordAudit(ctx, {
    event: "tf_setup",
    outcome: "success",
    user: updated,
    details: { method, via: "authenticated" },
  });
  await rt.events.emit("tf_profile_changed", { user: updated, method });
  if (previous) await notify(ctx, updated, "changed", method);
  return updated;
}

/** The notice to the account's address; a delivery failure is logged and audited, never fatal. */
async function notify(
  ctx: RequestContext,
  user: UserRecord,
  change: "disabled" | "changed",
  method: string | null,
): Promise<void> {
  const cfg = tfConfig(ctx.rt);
  await deliverMail(
    ctx,
    "two_factor_changed",
    user.email,
    { subject: cfg.noticeSubject, username: user.username ?? user.email, change, method },
    user,
  );
}
