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
import { safeNext } from "../../kit/http/redirects.js";
import { csrfToken, formPayload, signedIn } from "../../kit/schemas.js";
import { assertionCredential, identifyAssertion, type AssertionVerdict } from "./assertion-check.js";
import {
  authenticationOptions,
  newChallenge,
  parseCredential,
  usableFor,
  userVerificationFor,
  wanConfig,
} from "./ceremony.js";
import { wanRefused } from "./refusals.js";
import { sealState, takeState } from "./state.js";
import { passkeyStore } from "./store.js";
import { wanVerifyPage, type WanVerifyView } from "./verify-page.js";

/**
 * GET/POST /wan-verify and POST /wan-verify/<state>: re-authentication ("freshness") with one of the caller's
 * own passkeys. The assertion must come from a credential of the signed-in user: another account's valid
 * passkey proves nothing about who holds this session (FS advisory GHSA-f66q-9rf6-8795).
 */
function page(ctx: RequestContext, props: PageProps<unknown, WanVerifyView>): string {
  const view = props.view ?? { next: safeNext(ctx, ctx.url.searchParams.get("next")) };
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
      const next = safeNext(ctx, rawNext);
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
      const next = safeNext(ctx, rawNext);
      const back = rt.url(cfg.verifyUrl) + (next ? `?next=${encodeURIComponent(next)}` : "");
      const refuse = (code: MessageKey, field?: string, params?: Record<string, string>) =>
        wanRefused(ctx, code, { back, field, params });
      if (rawNext && !next) return refuse("INVALID_REDIRECT", "next");

      // A state is the user's it was handed to (and dies with a uniquifier change). Spent before the assertion is
      // judged: of parallel uses of one state exactly one gets past.
      const taken = await takeState(ctx, params.state, ["verify"], async (s) => {
        if (s.uniquifier !== user.fsUniquifier) return "invalid";
        if (!parseCredential(input.credential)) return refuse("API_ERROR", "credential");
        return (await hookVeto(ctx, "wan_verify", user)) ?? undefined;
      });
      if (!taken.ok)
        return "answer" in taken
          ? taken.answer
          : refuse(taken.refusal.code, undefined, "params" in taken.refusal ? taken.refusal.params : undefined);

      // The same checks as a sign-in's (assertion-check.ts); the credential check is the caller's, so another
      // user's passkey fails it (and counts toward the caller's lockout) without its counter moving.
      const identified = await identifyAssertion(ctx, input.credential, taken.state, "verify", "verify");
      if (!identified.ok) {
        if (identified.code === "LOCKED_OUT") return tooManyAttempts(identified);
        return refuse(identified.code, identified.code === "WEBAUTHN_MISMATCH_USER_HANDLE" ? undefined : "credential");
      }
      const { found } = identified;
      const verdict: AssertionVerdict = { cause: null, otherUser: false, userVerified: false };
      const check = assertionCredential(ctx, found, taken.state, "verify", verdict);
      const result = await verifyCredential(ctx, user, {
        ...check,
        completes: true,
        details: { via: "wan_verify" },
      });
      if (!result.ok) {
        if (result.reason === "BUDGET_SPENT") return tooManyAttempts(result);
        if (verdict.otherUser) return refuse("WEBAUTHN_MISMATCH_USER_HANDLE");
        return refuse("WEBAUTHN_NO_VERIFY", "credential", { cause: verdict.cause ?? "not verified" });
      }
      const record = found.record;

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
