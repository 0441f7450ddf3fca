/**
 * The pieces every passkey page is built from: a ceremony form (its options as JSON for the browser script, its
 * action `<url>/<state>`, the hidden `credential` the script fills) and the script itself, inline under the
 * page's CSP nonce. The server renders the options; the script only runs the ceremony and posts the answer.
 */
import { CSP_NONCE_SLOT, html, SafeHtml } from "../../pages/kit.js";
import { PASSKEYS_SCRIPT } from "./script.generated.js";

/** JSON inside <script type="application/json">: "<" escaped so no value can close the element. */
function jsonForScript(value: unknown): SafeHtml {
  return new SafeHtml(JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026"));
}

export interface CeremonyFormSpec {
  /** register: create a credential; authenticate: sign in or verify with a button; autofill: conditional UI. */
  kind: "register" | "authenticate" | "autofill";
  /** credential_options as the JSON API answers them. */
  options: unknown;
  /** Where the browser's answer is posted: `<url>/<state>` (already made absolute with rt.url). */
  action: string;
  csrfToken: string | null;
  /** The button's label (none for autofill: it starts by itself). */
  button?: string;
  /** Extra hidden fields posted with the answer (remember, next). */
  hidden?: Record<string, string>;
  id?: string;
}

/** A ceremony form: the browser script runs the ceremony when its button is pressed and posts `credential`. */
export function ceremonyForm(spec: CeremonyFormSpec): SafeHtml {
  const hidden = Object.entries(spec.hidden ?? {}).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
  const csrf = spec.csrfToken ? html`<input type="hidden" name="csrf_token" value="${spec.csrfToken}">` : "";
  const button = spec.button ? html`<button type="submit">${spec.button}</button>` : "";
  return html`<form method="post" action="${spec.action}" data-wan-ceremony="${spec.kind}"${spec.id ? html` id="${spec.id}"` : ""}>
<script type="application/json" data-wan-options>${jsonForScript(spec.options)}</script>
${csrf}<input type="hidden" name="credential" value="">${hidden}
<p class="flash error" role="alert" data-wan-error hidden></p>${button}</form>`;
}

/** The browser script, once per page, after the ceremony forms. */
export function passkeysScript(): SafeHtml {
  return new SafeHtml(`<script nonce="${CSP_NONCE_SLOT}">${PASSKEYS_SCRIPT.replace(/<\//g, "<\\/")}</script>`);
}
