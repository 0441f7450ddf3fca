import type { AuthnMethod } from "../../core/methods.js";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import { completeSignIn, hookVeto } from "../../core/complete-sign-in.js";
import type { RequestContext } from "../../core/context.js";
import type { Runtime } from "../../core/runtime.js";
import { defineCallerRoutes, defineRoute } from "../../core/define-route.js";
import { str } from "../../core/input.js";
import { fieldError, ok, refused } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { csrfToken, formPayload, signedIn } from "../../kit/schemas.js";
import { sha256Hex } from "../../crypto/random.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { tooManyAttempts } from "./codes.js";
import { codesPage, recoveryPage } from "./recovery-pages.js";
import { currentFactorRefusal } from "./fresh-factor.js";
import { twoFactorStore } from "./store.js";
import { codeInput } from "./schemas.js";
import { primaryMethod, readPending, tfConfig, waitingAtReady } from "./state.js";
import { permissionDenied } from "./validate.js";

/**
 * Multi-factor recovery codes (FS MULTI_FACTOR_RECOVERY_CODES). A code is 64 random bits shown once as
 * `xxxx-xxxx-xxxx-xxxx`; the user's row keeps only SHA-256 hex digests of the normalized codes, as a JSON array
 * in `mf_recovery_codes`. Generating replaces the whole set and consuming removes one digest, both through the
 * store's compare-and-set `replaceRecoveryCodes`, so one code completes at most one sign-in.
 */

/** A fresh code: 8 bytes from the CSPRNG as 16 hex digits in groups of four. */
export function newRecoveryCode(): string {
  return (randomBytes(8).toString("hex").match(/.{4}/g) ?? []).join("-");
}

/** Typed input → the canonical 16 hex digits (trimmed, lower-case, dashes and spaces optional), or null. */
export function normalizeRecoveryCode(raw: string): string | null {
  const compact = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "");
  return /^[0-9a-f]{16}$/.test(compact) ? compact : null;
}

export function hashRecoveryCode(normalized: string): string {
  return sha256Hex(normalized);
}

/** A new set of MULTI_FACTOR_RECOVERY_CODES_N codes: the plain codes (shown once) and what the user's row keeps. */
export function newRecoveryCodeSet(rt: Runtime): { codes: string[]; stored: string } {
  const codes = Array.from({ length: tfConfig(rt).recoveryCodesN }, () => newRecoveryCode());
  return { codes, stored: JSON.stringify(codes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c)!))) };
}

/** The stored digests; anything unreadable counts as no codes. */
export function storedDigests(user: UserRecord): string[] {
  if (!user.mfRecoveryCodes) return [];
  try {
    const parsed: unknown = JSON.parse(user.mfRecoveryCodes);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export function hasRecoveryCodes(ctx: RequestContext, user: UserRecord): boolean {
  return tfConfig(ctx.rt).recoveryCodes && storedDigests(user).length > 0;
}

/** What the codes page shows: the new codes once, right after generation. */
interface CodesView {
  codes: string[] | null;
  left: number;
  askFactorCode: boolean;
}

async function codesFormPage(ctx: RequestContext, props: PageProps<unknown, CodesView>): Promise<string> {
  // With no view (a refusal's form, an over-long field) the page offers the code field: it may be what is missing.
  const view = props.view ?? { codes: null, left: 0, askFactorCode: true };
  return codesPage(ctx, { csrfToken: props.csrfToken, ...view, errors: props.errors });
}

/** GET /mf-recovery-codes (fresh): how many codes are left — never the codes, which are stored hashed. */
export const getRecoveryCodesRoute = (path: string) =>
  defineRoute({
    id: "mf-recovery-codes.form",
    summary: "How many recovery codes are left (the codes themselves are stored hashed and never shown again).",
    method: "GET",
    path,
    auth: "fresh",
    output: z.object({
      recovery_codes: z.array(z.string()).max(0),
      codes_left: z.number().int(),
      csrf_token: csrfToken,
    }),
    page: codesFormPage,
    async handle(ctx, { caller }) {
      const user = (await ctx.rt.datastore.users.findById(caller.user.id)) ?? caller.user;
      const left = storedDigests(user).length;
      return ok(
        { recovery_codes: [], codes_left: left },
        { csrf: true, browser: { view: { codes: null, left, askFactorCode: !!primaryMethod(user) } } },
      );
    },
  });

/**
 * POST /mf-recovery-codes (fresh, CSRF): a new set replaces the old one atomically; the plain codes are answered
 * once. Each code stands in for the second factor once, so a user with two-factor also proves the current one
 * (decision 44): the session's sign-in did, or `code` is the current authenticator code.
 */
export const postRecoveryCodesRoute = (path: string) =>
  defineRoute({
    id: "mf-recovery-codes",
    summary: "Generate a new set of recovery codes (replacing the old one); the codes are answered only this once.",
    method: "POST",
    path,
    auth: "fresh",
    limits: ["credential"],
    input: codeInput,
    output: z.object({ recovery_codes: z.array(z.string()), csrf_token: csrfToken }),
    errors: [409],
    page: codesFormPage,
    async handle(ctx, { input, caller }) {
      const { rt } = ctx;
      const unproved = await currentFactorRefusal(ctx, caller, input.code, "mf_recovery_codes_generated");
      if (unproved) {
        const view: CodesView = { codes: null, left: storedDigests(caller.user).length, askFactorCode: true };
        // Browsers see the form again with the message and the code field.
        return unproved.kind === "form-errors" ? { ...unproved, view } : { ...unproved, browser: { page: true, view } };
      }
      const { codes, stored: next } = newRecoveryCodeSet(rt);
      let user = caller.user;
      let stored = false;
      // Compare-and-set against the value just read; a concurrent change (another generation, a consumed code) → retry once.
      for (let attempt = 0; attempt < 2 && !stored; attempt++) {
        user = (await rt.datastore.users.findById(caller.user.id)) ?? user;
        stored = await rt.datastore.store(twoFactorStore).replaceRecoveryCodes(user.id, user.mfRecoveryCodes, next);
      }
      if (!stored) {
        await recordAudit(ctx, {
          event: "mf_recovery_codes_generated",
          outcome: "failure",
          user,
          details: { reason: "concurrent_change" },
        });
        return refused("API_ERROR", 409);
      }
      await recordAudit(ctx, {
        event: "mf_recovery_codes_generated",
        outcome: "success",
        user,
        details: { count: codes.length },
      });
      await rt.events.emit("mf_recovery_codes_generated", { user, count: codes.length });
      return ok(
        { recovery_codes: codes },
        { csrf: true, browser: { view: { codes, left: codes.length, askFactorCode: !!primaryMethod(user) } } },
      );
    },
  });

function recoveryFormPage(ctx: RequestContext, props: PageProps<unknown, unknown>): string {
  return recoveryPage(ctx, { csrfToken: props.csrfToken, errors: props.errors });
}

/** GET /mf-recovery: the code form, during a pending sign-in (state `ready`). */
export const getRecoveryRoute = (path: string) =>
  defineCallerRoutes({
    id: "mf-recovery.form",
    summary: "The recovery-code form of a pending sign-in.",
    method: "GET",
    path,
    output: formPayload,
    page: recoveryFormPage,
    pending: { accepts: waitingAtReady, handle: async () => ok({}, { csrf: true }) },
    otherwise: permissionDenied,
  });

/** Removes `digest` from the user's set (compare-and-set); false when it is not (or no longer) there. */
async function consumeDigest(
  ctx: RequestContext,
  user: UserRecord,
  digest: string,
): Promise<{ ok: boolean; left: number }> {
  let current = user;
  for (let attempt = 0; attempt < 2; attempt++) {
    const digests = storedDigests(current);
    if (!digests.includes(digest)) return { ok: false, left: digests.length };
    const rest = digests.filter((d) => d !== digest);
    if (
      await ctx.rt.datastore
        .store(twoFactorStore)
        .replaceRecoveryCodes(current.id, current.mfRecoveryCodes, JSON.stringify(rest))
    )
      return { ok: true, left: rest.length };
    // Lost a race (another code consumed, or a new set): re-read and decide again.
    const fresh = await ctx.rt.datastore.users.findById(current.id);
    if (!fresh) return { ok: false, left: 0 };
    current = fresh;
  }
  return { ok: false, left: storedDigests(current).length };
}

/** POST /mf-recovery {code}: a stored recovery code completes the pending sign-in (no auth token, no tf_validity). */
export const postRecoveryRoute = (path: string) =>
  defineRoute({
    id: "mf-recovery",
    summary: "Complete a pending sign-in with a recovery code instead of the second factor (each code works once).",
    method: "POST",
    path,
    auth: "anonymous-only",
    limits: ["credential"],
    input: z.object({ code: str(64, "INVALID_RECOVERY_CODE") }),
    output: signedIn,
    page: recoveryFormPage,
    async handle(ctx, { input }) {
      const { rt } = ctx;
      const tf = await readPending(ctx);
      if (!tf || tf.step.state !== "ready") return permissionDenied(ctx);
      const { user } = tf;
      const veto = await hookVeto(ctx, "mf_recovery", user);
      if (veto) return veto;
      let left = 0;
      // The code is the credential: verifying it consumes it (compare-and-set), so one code completes one sign-in.
      const result = await rt.pipeline.resume(ctx, tf.pending, {
        method: "recovery_code",
        credential: {
          kind: "tf",
          audit: "mf_recovery",
          identity: user.email,
          failure: "INVALID_RECOVERY_CODE",
          verify: async (subject) => {
            const normalized = normalizeRecoveryCode(input.code ?? "");
            const used = normalized ? await consumeDigest(ctx, subject, hashRecoveryCode(normalized)) : null;
            left = used?.left ?? 0;
            return { valid: used?.ok === true };
          },
        },
        includeAuthToken: false,
        commit: async (verified) => {
          await recordAudit(ctx, {
            event: "mf_recovery_code_used",
            outcome: "success",
            user: verified,
            details: { codes_left: left },
          });
          return verified;
        },
      });
      if (result.kind === "no-pending" || result.kind === "replayed") return permissionDenied(ctx);
      if (result.kind === "failed")
        return result.reason === "BUDGET_SPENT" ? tooManyAttempts(result) : fieldError("code", "INVALID_RECOVERY_CODE");
      if (result.kind === "signed-in") {
        await recordAudit(ctx, { event: "mf_recovery", outcome: "success", user, details: { codes_left: left } });
        await rt.events.emit("mf_recovery_code_used", { user, codesLeft: left });
      }
      return completeSignIn(ctx, result, { action: "mf_recovery", denyField: "" });
    },
  });
