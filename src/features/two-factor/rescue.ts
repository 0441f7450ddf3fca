import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { defineCallerRoutes, defineRoute } from "../../core/define-route.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { str } from "../../core/input.js";
import { deliverMail } from "../../kit/mail-delivery.js";
import { fieldError, ok, redirect, refused } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { csrfToken } from "../../kit/schemas.js";
import { form, html, layout } from "../../pages/kit.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { newCodeNonce, sendCode } from "./codes.js";
import { hasRecoveryCodes } from "./recovery-codes.js";
import { recoveryOptions as recoveryOptionsSchema } from "./schemas.js";
import { readPending, secretBox, setStep, tfConfig, waitingAtReady } from "./state.js";
import { permissionDenied } from "./validate.js";
import { admitSend } from "../../kit/send-limits.js";

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

/** The choices the rescue page offers (read again when the handler gave none, e.g. an over-long field). */
interface RescueView {
  methods: string[];
}

async function page(ctx: RequestContext, props: PageProps<unknown, RescueView>): Promise<string> {
  const pending = props.view ? null : await readPending(ctx);
  const methods = props.view?.methods ?? (pending ? rescueMethods(ctx, pending.user) : []);
  return rescuePage(ctx, props.csrfToken, methods, props.errors);
}

const rescueAnswer = z.object({ recovery_options: recoveryOptionsSchema, csrf_token: csrfToken });

export const getRescueRoute = (path: string) =>
  defineCallerRoutes({
    id: "tf-rescue.form",
    summary: "What a pending sign-in can do when its second factor is out of reach.",
    method: "GET",
    path,
    output: rescueAnswer,
    page,
    pending: {
      accepts: waitingAtReady,
      handle: async (ctx, { attempt }) =>
        ok(
          { recovery_options: recoveryOptions(ctx, attempt.user) },
          { csrf: true, browser: { view: { methods: rescueMethods(ctx, attempt.user) } } },
        ),
    },
    otherwise: permissionDenied,
  });

export const postRescueRoute = (path: string) =>
  defineRoute({
    id: "tf-rescue",
    summary:
      "Mail a one-time code to the account's address, ask the administrator for help, or go to the recovery-code form.",
    method: "POST",
    path,
    auth: "anonymous-only",
    limits: ["send"],
    input: z.object({ help_setup: str(32, "TWO_FACTOR_METHOD_NOT_AVAILABLE") }),
    output: rescueAnswer,
    errors: [500],
    page,
    async handle(ctx, { input }) {
      const { rt } = ctx;
      const cfg = tfConfig(rt);
      const pending = await readPending(ctx);
      if (!pending || pending.step.state !== "ready") return permissionDenied(ctx);
      const { user, step } = pending;
      // The choice may also come in the query (the recovery_options URLs).
      const choice = input.help_setup ?? ctx.url.searchParams.get("help_setup") ?? "";
      const methods = rescueMethods(ctx, user);
      if (!methods.includes(choice))
        return fieldError("help_setup", "TWO_FACTOR_METHOD_NOT_AVAILABLE", { view: { methods } });
      // FS: recovery_code → 302 to /mf-recovery (JSON and HTML alike); the pending state stays as it is.
      if (choice === "recovery_code") return redirect(rt.url(cfg.recoveryUrl));
      let sent: boolean;
      if (choice === "email") {
        const secret = user.tfTotpSecret ? secretBox(rt).open(user.tfTotpSecret) : null;
        const n = newCodeNonce();
        setStep(ctx, pending, { ...step, method: "email", nonce: n, rescue: true });
        sent = !!secret && (await sendCode(ctx, user, "email", secret, null, n));
      } else {
        // Counted per account (the password was checked), never against the help desk's own address.
        await admitSend(ctx, "mail", cfg.rescueMail, { kind: "account", userId: user.id, own: true });
        sent = await deliverMail(
          ctx,
          "two_factor_rescue",
          cfg.rescueMail,
          { subject: cfg.rescueSubject, user_email: user.email, username: user.username ?? user.email },
          user,
        );
      }
      await recordAudit(ctx, { event: "tf_rescue", outcome: sent ? "success" : "failure", user, details: { choice } });
      if (!sent) return refused("FAILED_TO_SEND_CODE", 500);
      return ok(
        { recovery_options: recoveryOptions(ctx, user) },
        { csrf: true, browser: { redirect: rt.url(cfg.validateUrl) } },
      );
    },
  });

function rescuePage(ctx: RequestContext, csrfToken: string, methods: string[], errors?: FieldErrors): string {
  const { rt } = ctx;
  const problems = [
    ...errorsFor(ctx, errors, ""),
    ...errorsFor(ctx, errors, "help_setup"),
    ...errorsFor(ctx, errors, "csrf_token"),
  ];
  const forms = methods.map((m) =>
    form({
      action: rt.url(tfConfig(rt).rescueUrl),
      id: `tf-rescue-${m}`,
      csrfToken,
      fields: [{ name: "help_setup", label: "", type: "hidden", value: m }],
      submit:
        m === "email" ? "Email me a code" : m === "recovery_code" ? "Use a recovery code" : "Contact the administrator",
    }),
  );
  return layout(
    "Can't use your second factor?",
    html`${problems.map((e) => html`<p class="errors">${e}</p>`)}${forms}`,
    { appName: rt.config.appName },
  );
}
