import { z } from "zod";
import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { defineCallerRoutes } from "../../core/define-route.js";
import type { PendingSignIn } from "../../core/pending-sign-in.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { str } from "../../core/input.js";
import { fieldError, interrupted, ok } from "../../core/outcome.js";
import type { PageProps } from "../../core/render.js";
import { csrfToken } from "../../kit/schemas.js";
import { html, layout } from "../../pages/kit.js";
import { setUpFactors, startFactor } from "./factors.js";
import { factorStarted } from "./schemas.js";
import { readPending, setStep, tfConfig, tfPendingOf, type TfPending } from "./state.js";
import { permissionDenied } from "./validate.js";

/**
 * GET/POST /tf-select (FS 5.0): a pending sign-in of a user with several second factors (state "select")
 * picks one with `which`; the answer is then exactly the login's one-factor payload (code sent for
 * email/sms, a plugin's extras such as `tf_signin_url`), and browsers go on to that factor's page. The choice
 * is re-read from the user, never from the client: only a factor the user has set up now can be chosen.
 * Nobody is signed in here: the chosen factor's own step completes the sign-in.
 */
interface SelectView {
  methods: string[];
}

async function page(ctx: RequestContext, props: PageProps<unknown, SelectView>): Promise<string> {
  // A form re-rendered by the runner alone (an over-long field) has no view: the choices are read again.
  const pending = props.view ? null : await readPending(ctx);
  const methods = props.view?.methods ?? (pending ? await setUpFactors(ctx, pending.user) : []);
  return selectPage(ctx, { csrfToken: props.csrfToken, methods, errors: props.errors });
}

/** A pending sign-in this route serves: one choosing its factor. */
function choosing(pending: PendingSignIn): TfPending | null {
  const tf = tfPendingOf(pending);
  return tf && tf.step.state === "select" ? tf : null;
}

export const getSelectRoute = (path: string) =>
  defineCallerRoutes({
    id: "tf-select.form",
    summary: "The second factors a pending sign-in may choose from.",
    method: "GET",
    path,
    output: z.object({ tf_select: z.literal(true), tf_setup_methods: z.array(z.string()), csrf_token: csrfToken }),
    page,
    pending: {
      accepts: choosing,
      async handle(ctx, { attempt }) {
        const methods = await setUpFactors(ctx, attempt.user);
        return ok(
          { tf_select: true as const, tf_setup_methods: methods },
          { csrf: true, browser: { view: { methods } } },
        );
      },
    },
    otherwise: permissionDenied,
  });

export const postSelectRoute = (path: string) =>
  defineCallerRoutes({
    id: "tf-select",
    summary: "Choose the second factor of a pending sign-in; answers like a sign-in that needs that factor.",
    method: "POST",
    path,
    limits: ["send"],
    input: z.object({ which: str(32, "TWO_FACTOR_METHOD_NOT_AVAILABLE") }),
    output: factorStarted,
    errors: [500],
    page,
    pending: {
      accepts: choosing,
      async handle(ctx, { input, attempt: pending }) {
        const { user } = pending;
        const methods = await setUpFactors(ctx, user);
        const which = input.which ?? "";
        if (!methods.includes(which))
          return fieldError("which", "TWO_FACTOR_METHOD_NOT_AVAILABLE", { view: { methods } });
        const started = await startFactor(ctx, user, pending.pending, which);
        setStep(ctx, pending, started.step);
        await recordAudit(ctx, {
          event: "tf_select",
          outcome: started.status ? "failure" : "success",
          user,
          details: { method: which },
        });
        if (started.status) return fieldError("", "FAILED_TO_SEND_CODE", { status: started.status, view: { methods } });
        // The next step of the sign-in: its payload for API callers, its page for browsers.
        return interrupted(started.response, {
          redirect: started.redirect ?? ctx.rt.url(tfConfig(ctx.rt).validateUrl),
        });
      },
    },
    otherwise: permissionDenied,
  });

function selectPage(
  ctx: RequestContext,
  options: { csrfToken: string; methods: string[]; errors?: FieldErrors | undefined },
): string {
  const { rt } = ctx;
  const errors = [...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "which")];
  const body = html`<p>Choose how to confirm it is you.</p>
<form method="post" action="${rt.url(tfConfig(rt).selectUrl)}" id="tf-select-form"><input type="hidden" name="csrf_token" value="${options.csrfToken}">
${options.methods.map((m) => html`<label><input type="radio" name="which" value="${m}" required> ${m}</label>`)}
${errors.map((e) => html`<p class="errors">${e}</p>`)}
<button type="submit">Continue</button></form>`;
  return layout("Choose a second factor", body, { appName: rt.config.appName });
}
