import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { hookVeto, signedInPayload } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { runAfterHook } from "../../core/hooks.js";
import { text } from "../../core/input.js";
import { tooManyAttempts } from "../../core/lockout/refusal.js";
import type { MessageKey } from "../../core/messages.js";
import { fieldError, ok } from "../../core/outcome.js";
import { reauthenticate } from "../../core/reauthenticate.js";
import type { PageProps } from "../../core/render.js";
import { verifyCredential } from "../../core/verify-credential.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { safeRedirect } from "../../kit/http/redirects.js";
import { csrfToken, formPayload, signedIn } from "../../kit/schemas.js";
import {
  authenticationOptions,
  checkAssertion,
  newChallenge,
  parseCredential,
  usableFor,
  userHandleBytes,
  userVerificationFor,
  wanConfig,
} from "./ceremony.js";
import { wanRefused } from "./refusals.js";
import { sealState, takeState, type CeremonyState } from "./state.js";
import { passkeyStore, type PasskeyRecord } from "./store.js";
import { wanVerifyPage, type WanVerifyView } from "./verify-page.js";

/**
 * GET/POST /wan-verify and POST /wan-verify/<state>: re-authentication ("freshness") with one of the caller's
 * own passkeys. The assertion must come from a credential of the signed-in user: another account's valid
 * passkey proves nothing about who holds this session (FS advisory GHSA-f66q-9rf6-8795).
 */
function nextOf(ctx: RequestContext, raw: unknown): string | null {
  return safeRedirect(raw, ctx.appOrigin(), ctx.rt.config);
}

function page(ctx: RequestContext, props: PageProps<unknown, WanVerifyView>): string {
  const view = props.view ?? { next: nextOf(ctx, ctx.url.searchParams.get("next")) };
  return wanVerifyPage(ctx, {
    csrfToken: props.csrfToken,
    view,
    errors: props.errors,
    flashes: props.errors ? [] : props.takeFlashes(),
  });
}

const nextInput = z.object({ next: text() });

export const getWanVerifyRoute = (path: string) =>
  defineRoute({
    id: "wan-verify.form",
    summary: "The passkey re-authentication form and a CSRF token.",
    method: "GET",
    path,
    auth: "authenticated",
    output: formPayload,
    page,
    async handle() {
      return ok({}, { csrf: true });
    },
  });

export const postWanVerifyRoute = (path: string) =>
  defineRoute({
    id: "wan-verify",
    summary: "Start a passkey re-authentication: the options for the caller's passkeys and the state to answer with.",
    method: "POST",
    path,
    auth: "authenticated",
    input: nextInput,
    output: z.object({
      credential_options: z.looseObject({}),
      wan_state: z.string(),
      csrf_token: csrfToken,
    }),
    page,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const rawNext = input.next ?? ctx.url.searchParams.get("next");
      const next = nextOf(ctx, rawNext);
      if (rawNext && !next) return fieldError("next", "INVALID_REDIRECT", { view: { next: null } });
      const allow = (await rt.datastore.store(passkeyStore).listForUser(caller.user.id)).filter((c) =>
        usableFor(rt, c, "verify"),
      );
      // A second-factor passkey is never asked for user verification (as FS); a first-factor one as configured.
      const uv = allow.some((c) => c.usage === "first") ? userVerificationFor(rt, "first") : "discouraged";
      const challenge = newChallenge(rt);
      const options = await authenticationOptions(rt, { challenge, allow, userVerification: uv });
      const state = sealState(ctx, {
        ceremony: "verify",
        challenge,
        uniquifier: caller.user.fsUniquifier,
        name: null,
        usage: null,
        remember: false,
        requireUv: uv === "required",
      });
      const view: WanVerifyView = { next, ceremony: { options, state } };
      return ok(
        { credential_options: options as unknown as Record<string, unknown>, wan_state: state },
        { csrf: true, browser: { view } },
      );
    },
  });

export const postWanVerifyResponseRoute = (path: string) =>
  defineRoute({
    id: "wan-verify.response",
    summary: "Finish a passkey re-authentication with the browser's assertion (a fresh session, or token when asked).",
    method: "POST",
    path,
    auth: "authenticated",
    // 429: the account waits or is locked (the lockout); the assertion was not judged.
    limits: ["credential"],
    input: z.object({ credential: z.unknown(), next: text() }),
    output: signedIn,
    async handle(ctx, { input, caller, params }) {
      const { rt } = ctx;
      const cfg = wanConfig(rt);
      const user = caller.user;
      const rawNext = input.next ?? ctx.url.searchParams.get("next");
      const next = nextOf(ctx, rawNext);
      const back = rt.url(cfg.verifyUrl) + (next ? `?next=${encodeURIComponent(next)}` : "");
      const refuse = (code: MessageKey, field?: string, params?: Record<string, string>) =>
        wanRefused(ctx, code, { back, field, params });
      if (rawNext && !next) return refuse("INVALID_REDIRECT", "next");

      const response = parseCredential<AuthenticationResponseJSON>(input.credential);
      const rawId = response ? credentialBytes(response) : null;
      // A state is the user's it was handed to (and dies with a uniquifier change). Spent before the assertion is
      // judged: of parallel uses of one state exactly one gets past.
      const taken = await takeState(ctx, params.state, ["verify"], async (s) => {
        if (s.uniquifier !== user.fsUniquifier) return "invalid";
        if (!response || !rawId) return refuse("API_ERROR", "credential");
        return (await hookVeto(ctx, "wan_verify", user)) ?? undefined;
      });
      if (!taken.ok)
        return "answer" in taken
          ? taken.answer
          : refuse(taken.refusal.code, undefined, "params" in taken.refusal ? taken.refusal.params : undefined);
      const state = taken.state;
      if (!response || !rawId) return refuse("API_ERROR", "credential"); // refused above; narrows the type

      const store = rt.datastore.store(passkeyStore);
      const record = await store.findByCredentialId(rawId);
      let why: { code: MessageKey; params?: Record<string, string> } = { code: "WEBAUTHN_NO_VERIFY" };
      const result = await verifyCredential(ctx, record ? user : null, {
        kind: "webauthn",
        audit: "verify",
        // An unknown credential names no account: its id has a lockout count of its own.
        identity: record ? null : response.id.slice(0, 128),
        completes: true,
        details: { via: "wan_verify" },
        get failure() {
          return why.code;
        },
        verify: async (u) => {
          if (!record) return { valid: false };
          const judged = await judge(ctx, u, record, response, state);
          if (judged !== true) why = judged;
          return { valid: judged === true };
        },
        dummy: async () => undefined,
      });
      if (!result.ok) {
        if (result.reason === "BUDGET_SPENT") return tooManyAttempts(result);
        if (!record) return refuse("WEBAUTHN_UNKNOWN_CREDENTIAL_ID", "credential");
        return refuse(why.code, why.code === "WEBAUTHN_MISMATCH_USER_HANDLE" ? undefined : "credential", why.params);
      }

      const authToken = await reauthenticate(ctx, caller, ["webauthn"]);
      await recordAudit(ctx, {
        event: "verify",
        outcome: "success",
        user,
        details: { via: "wan_verify", method: "webauthn", name: record?.name },
      });
      await runAfterHook(ctx, "wan_verify", user);
      return ok(await signedInPayload(ctx, user, authToken), {
        csrf: true,
        browser: {
          redirect: next ?? rt.config.urls.postVerifyView ?? rt.config.urls.postLoginView,
          flash: { category: "success", message: rt.message("REAUTHENTICATION_SUCCESSFUL") },
        },
      });
    },
  });

/** The raw credential id the browser names (null when it is not base64url). */
function credentialBytes(response: AuthenticationResponseJSON): Uint8Array | null {
  try {
    if (!isoBase64URL.isBase64URL(response.rawId) || response.rawId.length > 1400) return null;
    const bytes = isoBase64URL.toBuffer(response.rawId);
    return bytes.length ? bytes : null;
  } catch {
    return null;
  }
}

/**
 * The assertion judged for the signed-in user: the credential is theirs, usable for re-authentication, and
 * signed this state's challenge at the configured origin and RP ID; its use then recorded (counter moved only
 * from the value it was read at). True, or why not.
 */
async function judge(
  ctx: RequestContext,
  user: UserRecord,
  record: PasskeyRecord,
  response: AuthenticationResponseJSON,
  state: CeremonyState,
): Promise<true | { code: MessageKey; params?: Record<string, string> }> {
  const { rt } = ctx;
  const handle = response.response.userHandle;
  const own = user.fsWebauthnUserHandle ? userHandleB64(user.fsWebauthnUserHandle) : null;
  if (record.userId !== user.id || (handle && handle !== own)) return { code: "WEBAUTHN_MISMATCH_USER_HANDLE" };
  if (!usableFor(rt, record, "verify")) return { code: "WEBAUTHN_CREDENTIAL_WRONG_USAGE" };
  const checked = await checkAssertion(rt, {
    response,
    challenge: state.challenge,
    credential: record,
    requireUv: state.requireUv,
  });
  if (!checked.ok) {
    if (checked.counterRegression)
      await recordAudit(ctx, {
        event: "wan_counter_regression",
        outcome: "failure",
        user,
        details: { name: record.name, via: "wan_verify" },
      });
    return { code: "WEBAUTHN_NO_VERIFY", params: { cause: checked.cause } };
  }
  const store = rt.datastore.store(passkeyStore);
  // Two uses of one credential at once: only the one that moves the counter from what both read counts.
  if (!(await store.recordUse(record.id, record.signCount, checked.newCounter, checked.backedUp, ctx.now())))
    return { code: "WEBAUTHN_NO_VERIFY", params: { cause: "the passkey was used elsewhere at the same time" } };
  return true;
}

const userHandleB64 = (handle: string): string =>
  isoBase64URL.fromBuffer(userHandleBytes(handle) as Uint8Array<ArrayBuffer>);
