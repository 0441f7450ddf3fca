/**
 * The linked-accounts page (GET /oauth-accounts): the caller's identities, each with an Unlink button (POST
 * <accounts>/unlink, fresh), and a "Link <provider>" button per configured provider.
 */
import { sliceOf } from "../../core/config/slice.js";
import type { RequestContext } from "../../core/context.js";
import { RefusalError } from "../../core/errors.js";
import { errorsFor } from "../../core/http/respond.js";
import { authenticate } from "../../core/identity.js";
import type { PageProps } from "../../core/render.js";
import { html, layout } from "../../pages/kit.js";
import { providerButtons } from "./buttons.js";
import { oauthSlice } from "./config.js";
import { providersOf } from "./providers/index.js";
import { linkedIdentityStore, type LinkedIdentity } from "./store.js";

export async function accountsPage(ctx: RequestContext, props: PageProps): Promise<string> {
  const { rt } = ctx;
  // The route is "authenticated": the runner resolved the caller already (authenticate caches it per request).
  const user = (await authenticate(ctx, rt.config.apiEnabledMethods))?.user;
  if (!user) throw new RefusalError("UNAUTHENTICATED", 401);
  const identities = await rt.datastore.store(linkedIdentityStore).listForUser(user.id);
  const flashes = props.errors ? [] : props.takeFlashes();
  const formErrors = ["", "csrf_token", "id"].flatMap((f) => errorsFor(ctx, props.errors, f));
  const errors = formErrors.length
    ? html`<ul class="errors" id="form-errors">${formErrors.map((e) => html`<li>${e}</li>`)}</ul>`
    : "";
  const body = html`${errors}${listOf(ctx, identities, props.csrfToken)}
<h2>Link an account</h2>
${providerButtons(ctx, "link", { csrfToken: props.csrfToken, next: null })}`;
  return layout("Linked accounts", body, { appName: rt.config.appName, flashes });
}

function listOf(ctx: RequestContext, identities: LinkedIdentity[], csrfToken: string) {
  if (!identities.length) return html`<p>No accounts are linked yet.</p>`;
  const { rt } = ctx;
  const action = rt.url(`${sliceOf(rt.config, oauthSlice).accountsUrl}/unlink`);
  const providers = providersOf(rt);
  const day = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : "never");
  const rows = identities.map(
    (i) => html`<tr><td>${providers.get(i.provider)?.label ?? i.provider}</td><td class="wrap">${i.email ?? ""}</td>
<td>${day(i.createdAt)}</td><td>${day(i.lastUsedAt)}</td>
<td><form class="inline" method="post" action="${action}" id="oauth-unlink-${i.id}"><input type="hidden" name="csrf_token" value="${csrfToken}"><input type="hidden" name="id" value="${String(i.id)}"><button type="submit">Unlink</button></form></td></tr>`,
  );
  return html`<table id="oauth-identities"><thead><tr><th>Provider</th><th>Account</th><th>Linked</th><th>Last used</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>`;
}
