import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { formErrorJson, htmlResponse, jsonResponse, plainErrorJson, redirectResponse } from "../../core/http/respond.js";
import { readInput, str } from "../../core/input.js";
import { deliverMail } from "../../core/mail-delivery.js";
import { form, html, layout } from "../../pages/kit.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { newCodeNonce, sendCode } from "./codes.js";
import { hasRecoveryCodes } from "./recovery-codes.js";
import { readPending, secretBox, setPending, tfConfig } from "./state.js";
import { permissionDenied } from "./validate.js";

/**
 * GET/POST /tf-rescue, during a pending sign-in (state `ready`): "email" mails a one-time code to the user's
 * address (it then completes /tf-validate like the primary method), "help" mails the rescue address,
 * "recovery_code" (only for a user with unused recovery codes) redirects to /mf-recovery.
 */
export function recoveryOptions(ctx: RequestContext, user: UserRecord): Record<string, string> {
  const { rt } = ctx;
  const url = rt.url(tfConfig(rt).rescueUrl);
  return Object.fromEntries(rescueMethods(ctx, user).map((m) => [m, `${url}?help_setup=${m}`]));
}

/** help always; email when enabled; recovery_code when the user has unused recovery codes (→ /mf-recovery). */
function rescueMethods(ctx: RequestContext, user: UserRecord): string[] {
  const methods = tfConfig(ctx.rt).rescueEmail ? ["help", "email"] : ["help"];
  if (hasRecoveryCodes(ctx, user)) methods.push("recovery_code");
  return methods;
}

export async function getRescue(ctx: RequestContext): Promise<Response> {
  const pending = await readPending(ctx);
  if (!pending || pending.state.s !== "ready") return permissionDenied(ctx);
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { recovery_options: recoveryOptions(ctx, pending.user), csrf_token: csrfToken });
  return htmlResponse(ctx, 200, rescuePage(ctx, csrfToken, pending.user));
}

export async function postRescue(ctx: RequestContext): Promise<Response> {
  const { rt } = ctx;
  const cfg = tfConfig(rt);
  const input = await readInput(ctx, { help_setup: str(32, "TWO_FACTOR_METHOD_NOT_AVAILABLE") });
  const pending = await readPending(ctx);
  if (!pending || pending.state.s !== "ready") return permissionDenied(ctx);
  const { user, state } = pending;
  const choice = input.help_setup ?? ctx.url.searchParams.get("help_setup") ?? "";
  if (!rescueMethods(ctx, user).includes(choice)) return formErrorJson(ctx, { help_setup: [{ code: "TWO_FACTOR_METHOD_NOT_AVAILABLE" }] });
  // FS: recovery_code → 302 to /mf-recovery (JSON and HTML alike); the pending state stays as it is.
  if (choice === "recovery_code") return redirectResponse(ctx, rt.url(cfg.recoveryUrl));
  let sent: boolean;
  if (choice === "email") {
    const secret = user.tfTotpSecret ? secretBox(rt).open(user.tfTotpSecret) : null;
    const n = newCodeNonce();
    setPending(ctx, { ...state, m: "email", n, e: true });
    sent = !!secret && (await sendCode(ctx, user, "email", secret, null, n));
  } else {
    sent = await deliverMail(ctx, "two_factor_rescue", cfg.rescueMail, { subject: cfg.rescueSubject, user_email: user.email, username: user.username ?? user.email }, user);
  }
  await recordAudit(ctx, { event: "tf_rescue", outcome: sent ? "success" : "failure", user, details: { choice } });
  if (!sent) return plainErrorJson(ctx, 500, [{ code: "FAILED_TO_SEND_CODE" }]);
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { recovery_options: recoveryOptions(ctx, user), csrf_token: csrfToken });
  return redirectResponse(ctx, rt.url(cfg.validateUrl));
}

function rescuePage(ctx: RequestContext, csrfToken: string, user: UserRecord): string {
  const { rt } = ctx;
  const forms = rescueMethods(ctx, user).map((m) =>
    form({
      action: rt.url(tfConfig(rt).rescueUrl),
      id: `tf-rescue-${m}`,
      csrfToken,
      fields: [{ name: "help_setup", label: "", type: "hidden", value: m }],
      submit: m === "email" ? "Email me a code" : m === "recovery_code" ? "Use a recovery code" : "Contact the administrator",
    }),
  );
  return layout("Can't use your second factor?", html`${forms}`, { appName: rt.config.appName });
}
