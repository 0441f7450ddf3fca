import type { RequestContext } from "../../core/context.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { form, html, layout, reauthLinks, type Flash, type ReauthLink, type SafeHtml } from "../../pages/kit.js";
import { SENDING_METHODS } from "./config.js";
import { sendingMethods, usConfig } from "./methods.js";

/** HTML pages of unified sign-in: sign in (with "send me a code" buttons), re-verify, and method setup. */

export function signinPage(
  ctx: RequestContext,
  options: {
    csrfToken: string;
    action: string;
    identity?: string;
    next?: string | null;
    remember?: boolean;
    errors?: FieldErrors;
    flashes?: Flash[];
    /** Other features' blocks for the sign-in slot (e.g. provider buttons), after the forms. */
    extras?: SafeHtml;
  },
): string {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const query = options.next ? `?next=${encodeURIComponent(options.next)}` : "";
  const identityLabel = rt.config.username.enable ? "Email or username" : "Email";
  const sendForms = sendingMethods(rt).map((method) =>
    form({
      action: rt.url(cfg.signinSendCodeUrl) + query,
      id: `us-send-${method}`,
      csrfToken: options.csrfToken,
      fields: [
        // Its own id: the sign-in form above has an "identity" input too, and ids must be unique for labels.
        {
          name: "identity",
          id: `us-send-${method}-identity`,
          label: identityLabel,
          type: "text",
          value: options.identity ?? "",
          autocomplete: "username",
          required: true,
        },
        { name: "chosen_method", label: "", type: "hidden", value: method },
      ],
      submit: method === "email" ? "Email me a code" : "Text me a code",
    }),
  );
  const body = html`${form({
    action: options.action + query,
    id: "us-signin-form",
    csrfToken: options.csrfToken,
    formErrors: [
      ...errorsFor(ctx, options.errors, ""),
      ...errorsFor(ctx, options.errors, "next"),
      ...errorsFor(ctx, options.errors, "csrf_token"),
      ...errorsFor(ctx, options.errors, "chosen_method"),
    ],
    fields: [
      {
        name: "identity",
        label: identityLabel,
        type: "text",
        value: options.identity ?? "",
        autocomplete: "username",
        required: true,
        errors: errorsFor(ctx, options.errors, "identity"),
      },
      {
        name: "passcode",
        label: "Password or code",
        type: "password",
        autocomplete: "current-password one-time-code",
        required: true,
        errors: errorsFor(ctx, options.errors, "passcode"),
      },
      { name: "remember", label: "Remember me", type: "checkbox", value: options.remember ? "true" : "" },
    ],
    submit: "Sign in",
  })}${sendForms.length ? html`<h2>No password?</h2>${sendForms}` : ""}${options.extras ?? ""}`;
  return layout("Sign in", body, { appName: rt.config.appName, flashes: options.flashes ?? [] });
}

export function verifyPage(
  ctx: RequestContext,
  options: {
    csrfToken: string;
    next?: string | null;
    methods: string[];
    errors?: FieldErrors;
    flashes?: Flash[];
    links?: ReauthLink[];
    extras?: SafeHtml;
  },
): string {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const query = options.next ? `?next=${encodeURIComponent(options.next)}` : "";
  const sendForms = options.methods
    .filter((m) => SENDING_METHODS.includes(m))
    .map((method) =>
      form({
        action: rt.url(cfg.verifySendCodeUrl) + query,
        id: `us-verify-send-${method}`,
        csrfToken: options.csrfToken,
        fields: [{ name: "chosen_method", label: "", type: "hidden", value: method }],
        submit: method === "email" ? "Email me a code" : "Text me a code",
      }),
    );
  const body = html`<p>Please confirm it's you: enter your password or a code.</p>${form({
    action: rt.url(cfg.verifyUrl) + query,
    id: "us-verify-form",
    csrfToken: options.csrfToken,
    formErrors: [
      ...errorsFor(ctx, options.errors, ""),
      ...errorsFor(ctx, options.errors, "csrf_token"),
      ...errorsFor(ctx, options.errors, "chosen_method"),
    ],
    fields: [
      {
        name: "passcode",
        label: "Password or code",
        type: "password",
        autocomplete: "current-password one-time-code",
        required: true,
        errors: errorsFor(ctx, options.errors, "passcode"),
      },
    ],
    submit: "Confirm",
  })}${sendForms}${options.extras ?? ""}${reauthLinks(options.links, query)}`;
  return layout("Confirm it's you", body, { appName: rt.config.appName, flashes: options.flashes ?? [] });
}

export interface SetupPageOptions {
  csrfToken: string;
  active: string[];
  available: string[];
  phone: string | null;
  errors?: FieldErrors;
  flashes?: Flash[];
  /** The user has two-factor: adding a method asks for its current code (decision 44). */
  askFactorCode?: boolean;
  /** A setup waiting for its code: the state token, the method, and for an authenticator the QR code. */
  pending?: { state: string; method: string; qr?: { dataUrl: string; key: string } } | null;
}

export function setupPage(ctx: RequestContext, options: SetupPageOptions): string {
  const { rt } = ctx;
  const cfg = usConfig(rt);
  const errs = (name: string) => errorsFor(ctx, options.errors, name);
  const current = html`<p>${rt.message("US_CURRENT_METHODS")} ${options.active.length ? options.active.join(", ") : "none"}</p>`;
  if (options.pending) {
    const p = options.pending;
    const qr = p.qr
      ? html`<p>Scan this code with your authenticator app, or enter the key by hand.</p><p><img src="${p.qr.dataUrl}" alt="QR code for your authenticator app" width="200" height="200"></p><p>Key: <code>${p.qr.key}</code></p>`
      : html`<p>Enter the code we sent you.</p>`;
    const body = html`${qr}${form({
      action: rt.url(`${cfg.setupUrl}/${encodeURIComponent(p.state)}`),
      id: "us-setup-validate-form",
      csrfToken: options.csrfToken,
      formErrors: [...errs(""), ...errs("csrf_token")],
      fields: [
        {
          name: "passcode",
          label: "Code",
          type: "text",
          autocomplete: "one-time-code",
          required: true,
          errors: errs("passcode"),
        },
      ],
      submit: "Verify",
    })}`;
    return layout("Set up sign-in", body, { appName: rt.config.appName, flashes: options.flashes ?? [] });
  }
  const addForms = options.available.map((method) =>
    form({
      action: rt.url(cfg.setupUrl),
      id: `us-setup-${method}`,
      csrfToken: options.csrfToken,
      fields: [
        { name: "chosen_method", label: "", type: "hidden", value: method },
        ...(method === "sms"
          ? [
              {
                name: "phone",
                label: "Phone number",
                type: "text" as const,
                value: options.phone ?? "",
                autocomplete: "tel",
                required: true,
                errors: errs("phone"),
              },
            ]
          : []),
        ...(options.askFactorCode
          ? [
              {
                name: "code",
                id: `code-${method}`,
                label: "Current two-factor code (if asked)",
                type: "text" as const,
                autocomplete: "one-time-code",
                errors: errs("code"),
              },
            ]
          : []),
      ],
      submit: `Set up ${method}`,
    }),
  );
  const removable = options.active.filter((m) => m !== "password");
  const deleteForms = removable.map((method) =>
    form({
      action: rt.url(cfg.setupUrl),
      id: `us-delete-${method}`,
      csrfToken: options.csrfToken,
      fields: [{ name: "delete_method", label: "", type: "hidden", value: method }],
      submit: `Remove ${method}`,
    }),
  );
  const formErrors = [...errs(""), ...errs("csrf_token"), ...errs("chosen_method"), ...errs("delete_method")];
  const errorList = formErrors.length
    ? html`<ul class="errors" id="form-errors">${formErrors.map((e) => html`<li>${e}</li>`)}</ul>`
    : "";
  const body = html`${current}${errorList}${addForms}${deleteForms}`;
  return layout("Sign-in methods", body, { appName: rt.config.appName, flashes: options.flashes ?? [] });
}
