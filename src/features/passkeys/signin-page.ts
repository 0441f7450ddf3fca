import type { RequestContext } from "../../core/context.js";
import { errorsFor } from "../../core/http/respond.js";
import type { PageProps } from "../../core/render.js";
import { safeNext } from "../../kit/http/redirects.js";
import { form, html, layout, type Flash } from "../../pages/kit.js";
import { wanConfig } from "./ceremony.js";
import { ceremonyForm, passkeysScript } from "./page-kit.js";
import { signinMode, startSignin, type StartedSignin } from "./signin-start.js";

/**
 * The /wan-signin pages (as FS's wan_signin template): first factor — an identity form that starts a ceremony
 * (its field also offers passkeys in the browser's autofill: a discoverable ceremony starts with the page), then
 * the ceremony's button; second factor — the pending user's passkey button at once. Errors of a ceremony's
 * answer come back on the same page with a new ceremony.
 */
export interface SigninView {
  identity?: string;
  remember?: boolean;
  next: string | null;
  /** A ceremony the start form began (its button is shown). */
  started?: StartedSignin;
  flashes?: Flash[];
}

export async function signinPage(
  ctx: RequestContext,
  props: PageProps<{ identity?: string; next?: string }, SigninView>,
): Promise<string> {
  const { rt } = ctx;
  const cfg = wanConfig(rt);
  const view = props.view;
  const next = view ? view.next : safeNext(ctx, props.input.next ?? ctx.url.searchParams.get("next"));
  const hidden = next ? { next } : undefined;
  const errors = ["", "credential", "identity", "next", "csrf_token"].flatMap((f) => errorsFor(ctx, props.errors, f));
  const flashes = [...(view?.flashes ?? (props.errors ? [] : props.takeFlashes()))];
  const errorList = errors.length
    ? html`<ul class="errors" role="alert">${errors.map((e) => html`<li>${e}</li>`)}</ul>`
    : "";
  const mode = await signinMode(ctx);
  const remember = view?.remember ?? rt.config.defaultRememberMe;
  const identity = view?.identity ?? (typeof props.input.identity === "string" ? props.input.identity : "");
  const ceremony = (started: StartedSignin, kind: "authenticate" | "autofill", button?: string) =>
    ceremonyForm({
      kind,
      options: started.options,
      action: rt.url(`${cfg.signinUrl}/${started.state}`),
      csrfToken: props.csrfToken,
      hidden,
      id: kind === "autofill" ? "wan-signin-autofill" : "wan-signin-ceremony",
      ...(button ? { button } : {}),
    });

  if (!mode) {
    return layout("Sign in with a passkey", html`<p class="flash error">Passkeys cannot be used to sign in here.</p>`, {
      appName: rt.config.appName,
      flashes,
    });
  }
  if (mode.kind === "secondary") {
    const started = view?.started ?? (await startSignin(ctx, mode, { identity: "", remember: false }));
    const body = html`${errorList}<p>Confirm it is you with your passkey (your second factor).</p>
${ceremony(started, "authenticate", "Use my passkey")}${passkeysScript()}`;
    return layout("Second factor: passkey", body, { appName: rt.config.appName, flashes });
  }
  if (view?.started) {
    const body = html`${errorList}<p>Use a passkey saved for this site.</p>
${ceremony(view.started, "authenticate", "Continue with my passkey")}${passkeysScript()}`;
    return layout("Sign in with a passkey", body, { appName: rt.config.appName, flashes });
  }
  // The start form; the page also starts a discoverable ceremony for the browser's passkey autofill.
  const autofill = await startSignin(ctx, mode, { identity: "", remember });
  const start = form({
    action: rt.url(cfg.signinUrl),
    id: "wan-signin-form",
    csrfToken: props.csrfToken,
    fields: [
      {
        name: "identity",
        label: rt.config.username.enable ? "Email or username" : "Email",
        type: "text",
        value: identity,
        autocomplete: "username webauthn",
      },
      { name: "remember", label: "Remember me", type: "checkbox", value: remember ? "true" : "" },
      ...(next ? [{ name: "next", label: "", type: "hidden" as const, value: next }] : []),
    ],
    submit: "Sign in with a passkey",
  });
  const body = html`${errorList}${start}${ceremony(autofill, "autofill")}${passkeysScript()}`;
  return layout("Sign in with a passkey", body, { appName: rt.config.appName, flashes });
}
