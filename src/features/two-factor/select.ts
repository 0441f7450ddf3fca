import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { issueCsrfToken } from "../../core/csrf.js";
import { errorsFor, formErrorJson, htmlResponse, jsonResponse, redirectResponse, type FieldErrors } from "../../core/http/respond.js";
import { readInput, str } from "../../core/input.js";
import { html, layout } from "../../pages/kit.js";
import { setUpFactors, startFactor } from "./factors.js";
import { readPending, tfConfig } from "./state.js";
import { permissionDenied } from "./validate.js";

/**
 * GET/POST /tf-select (FS 5.0): a pending sign-in of a user with several second factors (state "select")
 * picks one with `which`; the answer is then exactly the login's one-factor payload (code sent for
 * email/sms, a plugin's extras such as `tf_signin_url`). The choice is re-read from the user, never from
 * the client: only a factor the user has set up now can be chosen.
 */
export async function getSelect(ctx: RequestContext): Promise<Response> {
  const pending = await readPending(ctx);
  if (!pending || pending.state.s !== "select") return permissionDenied(ctx);
  const methods = await setUpFactors(ctx, pending.user);
  const csrfToken = await issueCsrfToken(ctx);
  if (ctx.wantsJson) return jsonResponse(ctx, 200, { tf_select: true, tf_setup_methods: methods, csrf_token: csrfToken });
  return htmlResponse(ctx, 200, selectPage(ctx, { csrfToken, methods }));
}

export async function postSelect(ctx: RequestContext): Promise<Response> {
  const input = await readInput(ctx, { which: str(32, "TWO_FACTOR_METHOD_NOT_AVAILABLE") });
  const pending = await readPending(ctx);
  if (!pending || pending.state.s !== "select") return permissionDenied(ctx);
  const { user, state } = pending;
  const methods = await setUpFactors(ctx, user);
  const which = input.which ?? "";
  if (!methods.includes(which)) {
    const errors: FieldErrors = { which: [{ code: "TWO_FACTOR_METHOD_NOT_AVAILABLE" }] };
    if (ctx.wantsJson) return formErrorJson(ctx, errors);
    return htmlResponse(ctx, 200, selectPage(ctx, { csrfToken: await issueCsrfToken(ctx), methods, errors }));
  }
  const started = await startFactor(ctx, user, { u: state.u, r: state.r, v: state.v }, which);
  await recordAudit(ctx, { event: "tf_select", outcome: started.status ? "failure" : "success", user, details: { method: which } });
  if (ctx.wantsJson) return jsonResponse(ctx, started.status ?? 200, { ...started.response, csrf_token: await issueCsrfToken(ctx) });
  if (started.status) return htmlResponse(ctx, started.status, selectPage(ctx, { csrfToken: await issueCsrfToken(ctx), methods, errors: { "": [{ code: "FAILED_TO_SEND_CODE" }] } }));
  const to = started.response.redirect;
  return redirectResponse(ctx, typeof to === "string" ? to : ctx.rt.url(tfConfig(ctx.rt).validateUrl));
}

function selectPage(ctx: RequestContext, options: { csrfToken: string; methods: string[]; errors?: FieldErrors }): string {
  const { rt } = ctx;
  const errors = [...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "which")];
  const body = html`<p>Choose how to confirm it is you.</p>
<form method="post" action="${rt.url(tfConfig(rt).selectUrl)}" id="tf-select-form"><input type="hidden" name="csrf_token" value="${options.csrfToken}">
${options.methods.map((m) => html`<label><input type="radio" name="which" value="${m}" required> ${m}</label>`)}
${errors.map((e) => html`<p class="errors">${e}</p>`)}
<button type="submit">Continue</button></form>`;
  return layout("Choose a second factor", body, { appName: rt.config.appName });
}
