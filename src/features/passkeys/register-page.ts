/**
 * The passkeys page of /wan-register: the caller's passkeys (with a delete button each, posting to WAN_DELETE_URL),
 * the form that starts adding one, and — once started — the ceremony form the browser script runs.
 */
import type { RequestContext } from "../../core/context.js";
import { RefusalError } from "../../core/errors.js";
import { errorsFor } from "../../core/http/respond.js";
import { authenticate } from "../../core/identity.js";
import type { PageProps } from "../../core/render.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { html, layout, type Flash } from "../../pages/kit.js";
import { wanConfig } from "./ceremony.js";
import { ceremonyForm, passkeysScript } from "./page-kit.js";
import { passkeyStore, type PasskeyRecord } from "./store.js";

export interface RegisterView {
  user: UserRecord;
  /** A registration started: its options and where the browser posts the new credential. */
  pending?: { options: unknown; action: string; name: string };
  flashes?: Flash[];
}

export async function registerPageFor(
  ctx: RequestContext,
  props: PageProps<{ name?: string; usage?: string; credential?: unknown }, RegisterView>,
): Promise<string> {
  const { rt } = ctx;
  // Every /wan-register route has a caller; without a view (an over-long field), the one the runner authenticated.
  const user = props.view?.user ?? (await authenticate(ctx, rt.config.apiEnabledMethods))?.user;
  if (!user) throw new RefusalError("UNAUTHENTICATED", 401);
  const pending = props.view?.pending;
  if (pending) {
    const body = html`<p>Name: <strong>${pending.name}</strong>. Press the button and follow your browser's prompt.</p>
${ceremonyForm({ kind: "register", options: pending.options, action: pending.action, csrfToken: props.csrfToken, button: "Create passkey", id: "wan-register-response-form" })}
${passkeysScript()}`;
    return layout("Add a passkey", body, { appName: rt.config.appName });
  }
  const passkeys = await rt.datastore.store(passkeyStore).listForUser(user.id);
  const flashes = [...(props.view?.flashes ?? []), ...(props.errors ? [] : props.takeFlashes())];
  const formErrors = ["", "csrf_token", "credential"].flatMap((f) => errorsFor(ctx, props.errors, f));
  const body = html`${listOf(ctx, passkeys, props.csrfToken)}
<h2>Add a passkey</h2>${addForm(ctx, props, formErrors)}`;
  return layout("Passkeys", body, { appName: rt.config.appName, flashes });
}

function listOf(ctx: RequestContext, passkeys: PasskeyRecord[], csrfToken: string) {
  if (!passkeys.length) return html`<p>You have no passkeys yet.</p>`;
  const action = ctx.rt.url(wanConfig(ctx.rt).deleteUrl);
  const day = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ");
  const rows = passkeys.map(
    (p) => html`<tr><td class="wrap">${p.name}</td><td>${p.usage}</td><td>${p.transports.join(", ")}</td>
<td>${day(p.createdAt)}</td><td>${day(p.lastUsedAt)}</td>
<td><form class="inline" method="post" action="${action}"><input type="hidden" name="csrf_token" value="${csrfToken}"><input type="hidden" name="name" value="${p.name}"><button type="submit">Delete</button></form></td></tr>`,
  );
  return html`<table id="wan-credentials"><thead><tr><th>Name</th><th>Usage</th><th>Transports</th><th>Created</th><th>Last used</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function addForm(
  ctx: RequestContext,
  props: PageProps<{ name?: string; usage?: string; credential?: unknown }, RegisterView>,
  formErrors: string[],
) {
  const { rt } = ctx;
  const cfg = wanConfig(rt);
  const list = (errors: string[], id: string) =>
    errors.length ? html`<ul class="errors" id="${id}">${errors.map((e) => html`<li>${e}</li>`)}</ul>` : "";
  const nameErrors = errorsFor(ctx, props.errors, "name");
  const usageErrors = errorsFor(ctx, props.errors, "usage");
  const usage = props.input.usage === "first" ? "first" : "secondary";
  const option = (value: string, label: string) =>
    html`<option value="${value}"${usage === value ? html` selected` : ""}>${label}</option>`;
  // Without WAN_ALLOW_AS_FIRST_FACTOR every passkey is a second factor (as FS): no choice to offer.
  const usageField = cfg.allowAsFirstFactor
    ? html`<label for="usage">Use</label><select id="usage" name="usage">${option("secondary", "As a second factor, after the password")}${option("first", "To sign in by itself")}</select>${list(usageErrors, "usage-errors")}`
    : "";
  return html`<form method="post" action="${rt.url(cfg.registerUrl)}" id="wan-register-form">${list(formErrors, "form-errors")}
<input type="hidden" name="csrf_token" value="${props.csrfToken}">
<label for="name">Name</label><input id="name" type="text" name="name" value="${props.input.name ?? ""}" maxlength="${cfg.nameMaxLength}" required${nameErrors.length ? html` aria-describedby="name-errors" aria-invalid="true"` : ""}>${list(nameErrors, "name-errors")}
${usageField}
<div><button type="submit">Add passkey</button></div></form>`;
}
