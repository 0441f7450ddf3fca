import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute, type PayloadOf } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import type { Caller } from "../../core/identity.js";
import { str } from "../../core/input.js";
import { fieldError, formErrors, ok, refused, type FormErrors, type Ok, type Refused } from "../../core/outcome.js";
import { drawSetupSmsBudget, newCodeNonce, phoneE164, secretBox, totpConfig } from "../../kit/passcodes/index.js";
import { generateTotpSecret, totpUri } from "../../crypto/totp/index.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { sendSetupCode } from "./codes.js";
import { activeMethods, setupMethods, usConfig } from "./methods.js";
import { setupInfo as setupInfoSchema, setupStarted } from "./schemas.js";
import { setupStateCodec } from "./setup-state.js";
import {
  authenticatorQr,
  factorOf,
  notifyMethodsChanged,
  saveMethods,
  setupInfo,
  setupPageFor,
  type SetupView,
} from "./setup-shared.js";
import { admitSend } from "../../kit/send-limits.js";

/**
 * GET/POST /us-setup (fresh sign-in required). POST serves two flows, each its own handler: adding a method
 * (`chosen_method`) and removing methods (`delete_method`). Adding: a new secret is made and sealed into a signed
 * state token (bound to the user's fs_uniquifier, US_SETUP_WITHIN); the code for it (sent by email/SMS, or read
 * from the authenticator) commits it at /us-setup/<state> (setup-validate.ts). Writes are compare-and-set merged
 * into the user's current methods, so interleaved setups and removals lose nothing.
 */
export const getSetupRoute = (path: string) =>
  defineRoute({
    id: "us-setup.form",
    summary: "The user's sign-in methods: enabled, active, and those that can be set up.",
    method: "GET",
    path,
    auth: "fresh",
    output: setupInfoSchema,
    page: setupPageFor,
    async handle(ctx, { caller }) {
      return ok(setupInfo(ctx, caller.user), { csrf: true, browser: { view: { user: caller.user } } });
    },
  });

const setupInput = z.object({
  chosen_method: str(32, "US_METHOD_NOT_AVAILABLE"),
  phone: str(64, "PHONE_INVALID"),
  /** The current two-factor authenticator code (decision 44), for callers whose sign-in did not prove it. */
  code: str(64, "TWO_FACTOR_INVALID_TOKEN"),
  // Any name that is not a method (an over-long one too) gets US_METHOD_NOT_AVAILABLE from removeMethods.
  delete_method: z.union([z.string(), z.array(z.string()).max(10)]).optional(),
});

type SetupInput = z.output<typeof setupInput>;

/** A setup started, or the methods left after a removal. */
const setupAnswer = z.union([setupStarted, setupInfoSchema]);

export const postSetupRoute = (path: string) =>
  defineRoute({
    id: "us-setup",
    summary:
      "Start setting up a method (chosen_method: answers the state to validate) or remove methods (delete_method).",
    method: "POST",
    path,
    auth: "fresh",
    limits: ["credential", "send"],
    input: setupInput,
    output: setupAnswer,
    errors: [401, 500],
    page: setupPageFor,
    async handle(ctx, { input, caller }): Promise<SetupOutcome<typeof setupAnswer>> {
      const veto = await hookVeto(ctx, "us_setup", caller.user, { user: caller.user });
      if (veto) return veto;
      const toDelete = input.delete_method === undefined ? [] : [input.delete_method].flat().filter(Boolean);
      return toDelete.length ? removeMethods(ctx, caller.user, toDelete) : addMethod(ctx, caller, input);
    },
  });

type SetupOutcome<S extends z.ZodType<Record<string, unknown>>> =
  Ok<PayloadOf<S>, SetupView> | FormErrors<SetupView> | Refused;

async function addMethod(
  ctx: RequestContext,
  caller: Caller,
  input: SetupInput,
): Promise<SetupOutcome<typeof setupStarted>> {
  const { rt } = ctx;
  const user = caller.user;
  const view: SetupView = { user };
  const method = input.chosen_method ?? "";
  if (!method) return fieldError("chosen_method", "API_ERROR", { view });
  if (!setupMethods(rt).includes(method)) return fieldError("chosen_method", "US_METHOD_NOT_AVAILABLE", { view });
  const phone = method === "sms" ? phoneE164(rt, input.phone ?? "") : null;
  if (method === "sms" && !phone) return fieldError("phone", "PHONE_INVALID", { view });
  // A unified sign-in method signs in without a second factor: for a user with two-factor, adding one needs
  // the current second factor (decision 44), as changing two-factor itself does.
  const unproved = await rt.services.twoFactor?.proveCurrentFactor(ctx, caller, input.code, "us_setup");
  if (unproved) return factorRefusal(ctx, user, unproved, view);

  const secret = generateTotpSecret();
  const nonce = newCodeNonce();
  const state = setupStateCodec.seal(rt, {
    uniquifier: user.fsUniquifier,
    method,
    sealedSecret: secretBox(rt).seal(secret),
    phone,
    nonce,
    factor: factorOf(ctx, user),
  });
  if (method === "email" || method === "sms")
    await admitSend(ctx, method === "sms" ? "sms" : "mail", phone ?? user.email, {
      kind: "account",
      userId: user.id,
      own: phone === null || phone === user.usPhoneNumber,
    });
  let authenticator = {};
  if (method === "authenticator") {
    const account = user.username ?? user.email;
    const issuer = totpConfig(rt).issuer!;
    authenticator = {
      authr_key: secret,
      authr_b32key: secret,
      authr_username: account,
      authr_issuer: issuer,
      authr_uri: totpUri({ secret, issuer, account }),
    };
  } else if (method === "sms" && !(await drawSetupSmsBudget(ctx, user, phone!, "us_code_sent"))) {
    // Over a setup-text budget (SMS pumping): nothing is sent, and the answer does not say so.
  } else if (!(await sendSetupCode(ctx, user, method, secret, phone, nonce))) {
    return fieldError("", "FAILED_TO_SEND_CODE", { view, status: 500 });
  }
  await recordAudit(ctx, { event: "us_setup_started", outcome: "info", user, details: { method } });
  const qr = method === "authenticator" ? await authenticatorQr(ctx, user, secret) : undefined;
  return ok(
    { chosen_method: method, phone, state, ...authenticator },
    { csrf: true, browser: { view: { user, pending: { state, method, qr } } } },
  );
}

/**
 * The refusal proveCurrentFactor decided, as an outcome: a spent attempt budget is 429 for every caller; a wrong
 * code is the `code` field's error; no proof at all is 401 (with the method to prove), shown on the set-up page,
 * which asks for the code.
 */
function factorRefusal(
  ctx: RequestContext,
  user: UserRecord,
  r: FormErrors<never> | Refused,
  view: SetupView,
): FormErrors<SetupView> | Refused {
  if (r.kind === "form-errors") return formErrors(r.errors, { view });
  if (r.status === 429) return { ...r, browser: { json: true } };
  return refused("TWO_FACTOR_FRESH_REQUIRED", 401, {
    extra: { tf_method: factorOf(ctx, user) },
    browser: { page: true, view },
  });
}

async function removeMethods(
  ctx: RequestContext,
  user: UserRecord,
  methods: string[],
): Promise<SetupOutcome<typeof setupInfoSchema>> {
  const { rt } = ctx;
  const view: SetupView = { user };
  const removable = setupMethods(rt);
  if (methods.some((m) => !removable.includes(m)))
    return fieldError("delete_method", "US_METHOD_NOT_AVAILABLE", { view });
  const remaining = activeMethods(rt, user).filter((m) => !methods.includes(m));
  if (remaining.length === 0) return fieldError("delete_method", "US_LAST_METHOD", { view });
  const saved = await saveMethods(
    ctx,
    user,
    (current) => Object.fromEntries(Object.entries(current).filter(([m]) => !methods.includes(m))),
    methods.includes("sms") ? null : undefined,
  );
  if (!saved) return fieldError("", "API_ERROR", { view });
  await recordAudit(ctx, { event: "us_setup", outcome: "success", user: saved, details: { deleted: methods } });
  await rt.events.emit("us_profile_changed", { user: saved, methods, delete: true });
  await notifyMethodsChanged(ctx, saved, methods, true);
  await runAfterHook(ctx, "us_setup", saved);
  return ok(setupInfo(ctx, saved), { csrf: true, browser: { view: { user: saved } } });
}
