import { z } from "zod";
import type { RequestContext } from "../../core/context.js";
import { defineRoute } from "../../core/define-route.js";
import { ok } from "../../core/outcome.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { csrfToken } from "../../kit/schemas.js";
import { accountsPage } from "./accounts-page.js";
import { providersOf } from "./providers/index.js";
import { linkedIdentityStore, type LinkedIdentity } from "./store.js";

/**
 * GET /oauth-accounts: the caller's linked identities and the providers they may link. Each identity by its id
 * (what unlink takes), never its subject at the provider: the list says which accounts are linked, not how the
 * provider names them.
 */
export const identityJson = z.object({
  id: z.number().int(),
  provider: z.string(),
  label: z.string(),
  email: z.string().nullable(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});

export const identitiesPayload = z.object({ identities: z.array(identityJson), csrf_token: csrfToken });

export async function identitiesOf(ctx: RequestContext, user: UserRecord): Promise<LinkedIdentity[]> {
  return ctx.rt.datastore.store(linkedIdentityStore).listForUser(user.id);
}

export function identitiesJson(ctx: RequestContext, identities: LinkedIdentity[]): z.input<typeof identityJson>[] {
  const providers = providersOf(ctx.rt);
  return identities.map((i) => ({
    id: i.id,
    provider: i.provider,
    // A provider removed from the configuration still shows (by name), so its identity can be unlinked.
    label: providers.get(i.provider)?.label ?? i.provider,
    email: i.email,
    created_at: i.createdAt.toISOString(),
    last_used_at: i.lastUsedAt?.toISOString() ?? null,
  }));
}

export const getAccountsRoute = (path: string) =>
  defineRoute({
    id: "oauth-accounts",
    summary: "The caller's linked provider identities and the providers they may link, with a CSRF token.",
    method: "GET",
    path,
    auth: "authenticated",
    output: identitiesPayload.extend({
      providers: z.array(z.object({ name: z.string(), label: z.string(), linked: z.boolean() })),
    }),
    page: accountsPage,
    async handle(ctx, { caller }) {
      const identities = await identitiesOf(ctx, caller.user);
      const linked = new Set(identities.map((i) => i.provider));
      const providers = [...providersOf(ctx.rt).values()].map((p) => ({
        name: p.name,
        label: p.label,
        linked: linked.has(p.name),
      }));
      return ok({ identities: identitiesJson(ctx, identities), providers }, { csrf: true });
    },
  });
