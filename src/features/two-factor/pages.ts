import type { RequestContext } from "../../core/context.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { form, html, layout, type Flash } from "../../pages/kit.js";
import { tfConfig } from "./state.js";

/** HTML pages of the two-factor flow: the code form and the setup form (with the QR code while enrolling). */
export function validatePage(
  ctx: RequestContext,
  options: { csrfToken: string; method: string; errors?: FieldErrors; qr?: { dataUrl: string; key: string } | null },
): string {
  const { rt } = ctx;
  const hint =
    options.method === "authenticator"
      ? "Enter the code shown by your authenticator app."
      : "Enter the code we sent you.";
  const body = html`${options.qr ? qrBlock(options.qr) : ""}<p>${hint}</p>${form({
    action: rt.url(tfConfig(rt).validateUrl),
    id: "tf-validate-form",
    csrfToken: options.csrfToken,
    formErrors: [...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "csrf_token")],
    fields: [
      {
        name: "code",
        label: "Code",
        type: "text",
        autocomplete: "one-time-code",
        required: true,
        errors: errorsFor(ctx, options.errors, "code"),
      },
    ],
    submit: "Verify",
  })}`;
  return layout("Two-factor authentication", body, { appName: rt.config.appName });
}

/** The QR code and key an authenticator app is set up with. */
function qrBlock(qr: { dataUrl: string; key: string }) {
  return html`<p>Scan this code with your authenticator app, or enter the key by hand.</p><p><img src="${qr.dataUrl}" alt="QR code for your authenticator app" width="200" height="200"></p><p>Key: <code>${qr.key}</code></p>`;
}

export function setupPage(
  ctx: RequestContext,
  options: {
    csrfToken: string;
    methods: string[];
    errors?: FieldErrors;
    qr?: { dataUrl: string; key: string } | null;
    validating?: boolean;
    /** A signed-in user's current method: changing or disabling it asks for its code (SECURITY I72). */
    current?: { method: string; canDisable: boolean } | null;
    flashes?: Flash[];
  },
): string {
  const { rt } = ctx;
  const cfg = tfConfig(rt);
  const cur = options.current;
  const enrol = options.qr ? qrBlock(options.qr) : "";
  const codeForm = options.validating
    ? form({
        action: rt.url(cfg.validateUrl),
        id: "tf-code-form",
        csrfToken: options.csrfToken,
        fields: [{ name: "code", label: "Code", type: "text", autocomplete: "one-time-code", required: true }],
        submit: "Verify",
      })
    : "";
  const choose = html`<form method="post" action="${rt.url(cfg.setupUrl)}" id="tf-setup-form"><input type="hidden" name="csrf_token" value="${options.csrfToken}">
${options.methods.map((m) => html`<label><input type="radio" name="setup" value="${m}" required> ${m}</label>`)}
${cur?.canDisable ? html`<label><input type="radio" name="setup" value="disable" required> disable</label>` : ""}
${[...errorsFor(ctx, options.errors, ""), ...errorsFor(ctx, options.errors, "setup")].map((e) => html`<p class="errors">${e}</p>`)}
${cur ? html`<p>Current method: ${cur.method}.</p><label for="code">Current authenticator code (needed to change or disable it)</label><input id="code" type="text" name="code" autocomplete="one-time-code" inputmode="numeric">${errorsFor(ctx, options.errors, "code").map((e) => html`<p class="errors">${e}</p>`)}` : ""}
${options.methods.includes("sms") ? html`<label for="phone">Phone (for sms)</label><input id="phone" type="text" name="phone" autocomplete="tel">${errorsFor(ctx, options.errors, "phone").map((e) => html`<p class="errors">${e}</p>`)}` : ""}
<button type="submit">Set up</button></form>`;
  return layout("Set up two-factor authentication", html`${enrol}${codeForm}${options.validating ? "" : choose}`, {
    appName: rt.config.appName,
    flashes: options.flashes ?? [],
  });
}
