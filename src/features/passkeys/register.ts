import { createHmac } from "node:crypto";
import { z } from "zod";
import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import { recordAudit } from "../../core/audit.js";
import { hookVeto } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import type { FieldErrors } from "../../core/http/respond.js";
import { str, text } from "../../core/input.js";
import { fieldError, formErrors, ok } from "../../core/outcome.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { noticeAllowed } from "./register-emails.js";
import { csrfToken } from "../../kit/schemas.js";
import {
  checkRegistration,
  credentialIdOf,
  newChallenge,
  parseCredential,
  registrationOptions,
  userVerificationFor,
  wanConfig,
} from "./ceremony.js";
import { cleanPasskeyName } from "./names.js";
import { registerPageFor, type RegisterView } from "./register-page.js";
import { sealState, takeState } from "./state.js";
import { passkeyStore, type PasskeyRecord, type PasskeyUsage } from "./store.js";

/**
 * Registration (FS WAN_REGISTER_URL): GET lists the caller's passkeys; POST (fresh sign-in required, as FS)
 * checks the name and usage and answers the creation options with a signed single-use `wan_state`; the browser's
 * new credential is posted to `<url>/<state>`, which verifies it against the configured relying party and stores
 * it — one credential id is never stored for two accounts.
 */

const registeredCredential = z.object({
  name: z.string(),
  credential_id: z.string().describe("base64url"),
  transports: z.array(z.string()),
  lastuse: z.string().describe("ISO 8601"),
  usage: z.enum(["first", "secondary"]),
  backup_state: z.boolean(),
  device_type: z.string(),
  discoverable: z.union([z.boolean(), z.literal("Unknown")]).describe("credProps.rk of the registration, as FS"),
  created_at: z.string().describe("ISO 8601 (Rampart)"),
});

/** One passkey as FS lists it (FS-made rows included: their extensions are JSON text, or nothing). */
export function listedCredential(p: PasskeyRecord): z.input<typeof registeredCredential> {
  return {
    name: p.name,
    credential_id: credentialIdOf(p),
    transports: p.transports,
    lastuse: p.lastUsedAt.toISOString(),
    usage: p.usage,
    backup_state: p.backupState,
    device_type: p.deviceType,
    discoverable: discoverableOf(p.extensions),
    created_at: p.createdAt.toISOString(),
  };
}

function discoverableOf(extensions: string | null): boolean | "Unknown" {
  try {
    const rk = (JSON.parse(extensions ?? "null") as { credProps?: { rk?: unknown } } | null)?.credProps?.rk;
    return typeof rk === "boolean" ? rk : "Unknown";
  } catch {
    return "Unknown";
  }
}

export const getRegisterRoute = (path: string) =>
  defineRoute({
    id: "wan-register.form",
    summary: "The caller's passkeys (fresh sign-in required).",
    method: "GET",
    path,
    auth: "fresh",
    output: z.object({ registered_credentials: z.array(registeredCredential), csrf_token: csrfToken }),
    page: registerPageFor,
    async handle(ctx, { caller }) {
      const passkeys = await ctx.rt.datastore.store(passkeyStore).listForUser(caller.user.id);
      return ok(
        { registered_credentials: passkeys.map(listedCredential) },
        { csrf: true, browser: { view: { user: caller.user } } },
      );
    },
  });

const started = z.object({
  credential_options: z.looseObject({}).describe("PublicKeyCredentialCreationOptionsJSON"),
  wan_state: z.string(),
  csrf_token: csrfToken,
});

export const postRegisterRoute = (path: string) =>
  defineRoute({
    id: "wan-register",
    summary: "Start adding a passkey: name and usage (first/secondary) → creation options and wan_state.",
    method: "POST",
    path,
    auth: "fresh",
    input: z.object({ name: text(), usage: str(16, "INVALID_INPUT") }),
    output: started,
    page: registerPageFor,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const cfg = wanConfig(rt);
      const view: RegisterView = { user: caller.user };
      const cleaned = cleanPasskeyName(rt, input.name);
      if (!cleaned.ok)
        return formErrors(
          { name: [{ code: cleaned.code, params: "length" in cleaned ? { length: cleaned.length } : undefined }] },
          { view },
        );
      const name = cleaned.name;
      const wanted = input.usage || "secondary";
      if (wanted !== "first" && wanted !== "secondary") return fieldError("usage", "INVALID_INPUT", { view });
      // Without passkeys as a first factor every passkey is a second factor (as FS).
      const usage: PasskeyUsage = cfg.allowAsFirstFactor ? wanted : "secondary";
      const store = rt.datastore.store(passkeyStore);
      const existing = await store.listForUser(caller.user.id);
      if (existing.some((p) => p.name === name))
        return formErrors({ name: [{ code: "WEBAUTHN_NAME_INUSE", params: { name } }] }, { view });
      const veto = await hookVeto(ctx, "wan_register", caller.user, view);
      if (veto) return veto;

      const handle = await userHandleOf(ctx, caller.user);
      const challenge = newChallenge(rt);
      const account = caller.user.username ?? caller.user.email;
      const options = await registrationOptions(rt, {
        user: { handle, name: account, displayName: account },
        usage,
        challenge,
        existing,
      });
      const state = sealState(ctx, {
        ceremony: "register",
        challenge,
        uniquifier: caller.user.fsUniquifier,
        name,
        usage,
        remember: false,
        requireUv: userVerificationFor(rt, usage) === "required",
      });
      const action = rt.url(`${cfg.registerUrl}/${state}`);
      return ok(
        { credential_options: options as unknown as Record<string, unknown>, wan_state: state },
        { csrf: true, browser: { view: { user: caller.user, pending: { options, action, name } } } },
      );
    },
  });

/**
 * The user's WebAuthn user handle (FS fs_webauthn_user_handle), set on first use. It is derived from the account
 * (its id and fs_uniquifier, under the secret key) rather than drawn at random, so two registrations started at
 * once store the same handle — a random one could be overwritten by the other and never match its passkey again.
 * It names no one: 32 hex characters, like FS's uuid4 hex.
 */
async function userHandleOf(ctx: RequestContext, user: UserRecord): Promise<string> {
  if (user.fsWebauthnUserHandle) return user.fsWebauthnUserHandle;
  const handle = createHmac("sha256", ctx.rt.config.secretKey)
    .update(`wan-user-handle\0${user.id}\0${user.fsUniquifier}`)
    .digest("hex")
    .slice(0, 32);
  await ctx.rt.datastore.users.update(user.id, { fsWebauthnUserHandle: handle });
  return handle;
}

const credentialInput = z.union([z.string(), z.record(z.string(), z.unknown())]).optional();

export const postRegisterResponseRoute = (path: string) =>
  defineRoute({
    id: "wan-register.response",
    summary: "Finish adding a passkey: the browser's new credential for the wan_state from POST /wan-register.",
    method: "POST",
    path,
    // Signed in, not fresh (as FS): the state was handed out under a fresh sign-in and expires with WAN_REGISTER_WITHIN.
    auth: "authenticated",
    input: z.object({ credential: credentialInput }),
    output: z.object({
      name: z.string(),
      usage: z.enum(["first", "secondary"]),
      credential_id: z.string(),
      csrf_token: csrfToken,
    }),
    page: registerPageFor,
    async handle(ctx, { input, caller, params }) {
      const { rt } = ctx;
      const cfg = wanConfig(rt);
      const user = caller.user;
      const view: RegisterView = { user };
      const fail = (errors: FieldErrors) => formErrors(errors, { view });
      const response = fsExtensions(parseCredential<RegistrationResponseJSON>(input.credential));
      // Single use: of parallel posts of one state exactly one goes on; a replay is refused before it is judged.
      // Another user's state (or one from before the caller's uniquifier changed) is no state for this caller.
      const taken = await takeState(ctx, params.state, ["register"], (s) => {
        if (s.uniquifier !== user.fsUniquifier || !s.name || !s.usage) return "invalid";
        // No credential (or not one): the state is left for the real answer.
        return response ? undefined : fail({ credential: [{ code: "API_ERROR" }] });
      });
      if (!taken.ok) return "answer" in taken ? taken.answer : fail({ "": [taken.refusal] });
      const state = taken.state;
      const name = state.name!;
      const usage = state.usage!;
      if (!response) return fail({ credential: [{ code: "API_ERROR" }] }); // refused above; narrows the type
      const checked = await checkRegistration(rt, { response, challenge: state.challenge, requireUv: state.requireUv });
      if (!checked.ok) return fail({ credential: [{ code: "WEBAUTHN_NO_VERIFY", params: { cause: checked.cause } }] });
      const store = rt.datastore.store(passkeyStore);
      const inUse = () => fail({ credential: [{ code: "WEBAUTHN_NAME_INUSE", params: { name } }] });
      if (await store.findByName(user.id, name)) return inUse();
      const now = ctx.now();
      const created = await store.create({
        ...checked.credential,
        userId: user.id,
        name,
        usage,
        createdAt: now,
        lastUsedAt: now,
      });
      if (created === "credential-in-use") {
        // The table's other unique key is (user, name): a registration of the same name that won the race.
        if (await store.findByName(user.id, name)) return inUse();
        return fail({ credential: [{ code: "WEBAUTHN_CREDENTIAL_ID_INUSE" }] });
      }
      await recordAudit(ctx, { event: "wan_registered", outcome: "success", user, details: { name, usage } });
      await rt.events.emit("wan_registered", { user, name });
      if (noticeAllowed(rt, user))
        await deliverMail(
          ctx,
          "wan_registered_notice",
          user.email,
          { subject: cfg.registeredSubject, name, usage, email: user.email },
          user,
        );
      await runAfterHook(ctx, "wan_register", user);
      const flash = { category: "success" as const, message: rt.message("WEBAUTHN_REGISTER_SUCCESSFUL", { name }) };
      return ok(
        { name, usage, credential_id: credentialIdOf(created) },
        { csrf: true, browser: { redirect: cfg.postRegisterView ?? rt.url(cfg.registerUrl), flash } },
      );
    },
  });

/**
 * FS's browser script sends the client extension results as `extensions` (a JSON string) instead of
 * `clientExtensionResults`: read either, so FS's pages keep working against Rampart.
 */
function fsExtensions(response: RegistrationResponseJSON | null): RegistrationResponseJSON | null {
  if (!response) return null;
  const raw = (response as unknown as { extensions?: unknown }).extensions;
  if (response.clientExtensionResults || typeof raw !== "string") return response;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === "object"
      ? { ...response, clientExtensionResults: parsed as RegistrationResponseJSON["clientExtensionResults"] }
      : { ...response, clientExtensionResults: {} };
  } catch {
    return { ...response, clientExtensionResults: {} };
  }
}
