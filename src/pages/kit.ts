import { randomBytes } from "node:crypto";

/**
 * The small HTML kit every feature's pages use: an escaping template tag, a layout, forms, fields and flash
 * messages. Every interpolated value is escaped unless it is itself a `SafeHtml` built by this kit.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

type Part = SafeHtml | string | number | null | undefined | false | readonly Part[];
function render(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return part.map((p) => render(p as Part)).join("");
  return escapeHtml(String(part));
}

/** Tagged template: `html\`<p>${userText}</p>\`` escapes userText. */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

export interface Flash {
  category: "error" | "info" | "success";
  message: string;
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d232a}
h1{font-size:1.5rem}label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input[type=text],input[type=email],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box;border:1px solid #9aa4ae;border-radius:4px}
button{margin-top:1rem;padding:.5rem 1.2rem;border:0;border-radius:4px;background:#1f5fa8;color:#fff;font-size:1rem;cursor:pointer}
.flash{padding:.6rem .8rem;border-radius:4px;margin:.8rem 0}.flash.error,.errors{background:#fdecea;color:#8a1c12}
.flash.info{background:#e8f1fb}.flash.success{background:#e7f6ec}.errors{list-style:none;padding:.3rem .6rem;margin:.3rem 0;border-radius:4px}
table{border-collapse:collapse;width:100%}td,th{padding:.4rem;border-bottom:1px solid #ddd;text-align:left;font-size:.9rem}
.wrap{overflow-wrap:anywhere}
.inline{display:inline}nav{margin-top:2rem;font-size:.9rem}`;

/**
 * Where a page's `<style>` (and any `<script>`) carries its CSP nonce. Pages are rendered without knowing the
 * response; the one place HTML becomes a response (core/http/respond.ts) replaces this slot with a fresh nonce
 * per response and names it in the Content-Security-Policy. The slot is random per process, so even text that
 * slipped past escaping could not claim the nonce; no 'unsafe-inline' is needed.
 */
export const CSP_NONCE_SLOT = `rampart-nonce-${randomBytes(16).toString("hex")}`;

export function layout(title: string, body: SafeHtml, options: { flashes?: Flash[]; appName?: string } = {}): string {
  const flashes = (options.flashes ?? []).map(
    (f) => html`<div class="flash ${f.category}" role="status">${f.message}</div>`,
  );
  return `<!doctype html>\n${
    html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${options.appName ?? "Rampart"}</title><style nonce="${CSP_NONCE_SLOT}">${new SafeHtml(STYLE)}</style></head>
<body><main><h1>${title}</h1>${flashes}${body}</main></body></html>`.value
  }`;
}

export interface FieldSpec {
  name: string;
  /** The input's id (default: the name). Give one when a page has several forms with the same field. */
  id?: string;
  label: string;
  type?: "text" | "email" | "password" | "checkbox" | "hidden";
  value?: string;
  autocomplete?: string;
  required?: boolean;
  errors?: string[];
}

/**
 * One labelled input. Its errors are tied to it (aria-describedby + aria-invalid) so screen readers announce
 * them with the field; a one-time-code field asks phones for the digit keyboard.
 */
export function field(spec: FieldSpec): SafeHtml {
  const type = spec.type ?? "text";
  const id = spec.id ?? spec.name;
  const errorsId = `${id}-errors`;
  const errors = spec.errors?.length
    ? html`<ul class="errors" id="${errorsId}">${spec.errors.map((e) => html`<li>${e}</li>`)}</ul>`
    : "";
  const described = spec.errors?.length ? html` aria-describedby="${errorsId}" aria-invalid="true"` : "";
  if (type === "hidden") return html`<input type="hidden" name="${spec.name}" value="${spec.value ?? ""}">`;
  if (type === "checkbox") {
    return html`<label><input type="checkbox" name="${spec.name}" value="true"${spec.value === "true" ? new SafeHtml(" checked") : ""}${described}> ${spec.label}</label>${errors}`;
  }
  const numeric = type === "text" && spec.autocomplete === "one-time-code" ? new SafeHtml(' inputmode="numeric"') : "";
  return html`<label for="${id}">${spec.label}</label><input id="${id}" type="${type}" name="${spec.name}" value="${type === "password" ? "" : (spec.value ?? "")}"${spec.autocomplete ? html` autocomplete="${spec.autocomplete}"` : ""}${numeric}${spec.required ? new SafeHtml(" required") : ""}${described}>${errors}`;
}

export function form(options: {
  action: string;
  csrfToken: string | null;
  fields: FieldSpec[];
  submit: string;
  formErrors?: string[];
  id?: string;
}): SafeHtml {
  const formErrors = options.formErrors?.length
    ? html`<ul class="errors" id="form-errors">${options.formErrors.map((e) => html`<li>${e}</li>`)}</ul>`
    : "";
  return html`<form method="post" action="${options.action}"${options.id ? html` id="${options.id}"` : ""}>${formErrors}
${options.csrfToken ? html`<input type="hidden" name="csrf_token" value="${options.csrfToken}">` : ""}
${options.fields.map(field)}
<button type="submit">${options.submit}</button></form>`;
}

/** Another way to re-authenticate a verify page offers (a passkey): a link keeping the page's `?next=`. */
export interface ReauthLink {
  href: string;
  label: string;
}

export function reauthLinks(links: ReauthLink[] | undefined, query: string): SafeHtml {
  return html`${(links ?? []).map((l) => html`<p><a href="${l.href + query}">${l.label}</a></p>`)}`;
}
