import type { RequestContext } from "../../core/context.js";
import { errorsFor, type FieldErrors } from "../../core/http/respond.js";
import { form, html, layout, type Flash } from "../../pages/kit.js";
import { wanConfig } from "./ceremony.js";
import { ceremonyForm, passkeysScript } from "./page-kit.js";

/**
 * The /wan-verify page (as FS's wan_verify template): a button that asks for the options; once they are there,
 * the ceremony form whose button runs the passkey and posts its answer to `/wan-verify/<state>`.
 */
export interface WanVerifyView {
  next: string | null;
  ceremony?: { options: unknown; state: string };
}

export function wanVerifyPage(
  ctx: RequestContext,
  props: { csrfToken: string; view: WanVerifyView; errors?: FieldErrors; flashes?: Flash[] },
): string {
  const { rt } = ctx;
  const url = rt.url(wanConfig(rt).verifyUrl);
  const query = props.view.next ? `?next=${encodeURIComponent(props.view.next)}` : "";
  const formErrors = [
    ...errorsFor(ctx, props.errors, ""),
    ...errorsFor(ctx, props.errors, "next"),
    ...errorsFor(ctx, props.errors, "csrf_token"),
  ];
  const { ceremony } = props.view;
  const body = ceremony
    ? html`<p>Use your passkey to confirm it's you.</p>${ceremonyForm({
        kind: "authenticate",
        options: ceremony.options,
        action: `${url}/${encodeURIComponent(ceremony.state)}${query}`,
        csrfToken: props.csrfToken,
        button: "Use my passkey",
        id: "wan-verify-response-form",
      })}${passkeysScript()}`
    : html`<p>Confirm it's you with one of your passkeys.</p>${form({
        action: url + query,
        id: "wan-verify-form",
        csrfToken: props.csrfToken,
        formErrors,
        fields: [],
        submit: "Use a passkey",
      })}`;
  return layout("Reauthenticate using a passkey", body, {
    appName: rt.config.appName,
    flashes: props.flashes ?? [],
  });
}
