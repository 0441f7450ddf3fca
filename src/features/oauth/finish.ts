import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import type { Outcome } from "../../core/outcome.js";
import { failureRedirect } from "./failure.js";
import { takeFlow, type FlowPurpose, type OAuthFlow } from "./flow-state.js";
import { providerOf, ProviderError, type OAuthProvider, type ProviderIdentity } from "./providers/index.js";
import { unknownProvider } from "./begin.js";
import { withinBounds } from "./providers/bounds.js";

export type Finished =
  | { ok: true; flow: OAuthFlow; identity: ProviderIdentity; provider: OAuthProvider }
  /** The answer to give (a redirect with the message; 404 for an unknown provider). Already audited. */
  | { ok: false; answer: Outcome };

/**
 * The provider sent the browser back: the part every return route shares (FS `_oauth_response_common`). The flow
 * must be this browser's, started for this provider and one of `purposes`, with the `state` the provider returned,
 * and unused; then openid-client exchanges the code (PKCE verifier, `iss`, id_token signature, `aud`, `exp`,
 * nonce) and the provider's identity is read. Any failure is a redirect with a clear message; nothing is written.
 */
export async function finishAtProvider(
  ctx: RequestContext,
  name: string,
  purposes: readonly FlowPurpose[],
): Promise<Finished> {
  const provider = providerOf(ctx.rt, name);
  if (!provider) return { ok: false, answer: unknownProvider() };
  const fail = async (purpose: FlowPurpose, reason: string, answer: Outcome): Promise<Finished> => {
    await recordAudit(ctx, {
      event: "oauth_failed",
      outcome: "failure",
      user: null,
      details: { provider: name, purpose, reason: reason.slice(0, 64) },
    });
    return { ok: false, answer };
  };
  const taken = await takeFlow(ctx, name, purposes, ctx.url.searchParams.get("state"));
  if (!taken.ok)
    return fail(
      purposes[0]!,
      `flow_${taken.reason}`,
      failureRedirect(ctx, purposes[0]!, provider.label, {
        code: "OAUTH_FLOW_EXPIRED",
        params: { provider: provider.label },
      }),
    );
  const { flow } = taken;
  try {
    // The URL the provider was told to return to (RAMPART_BASE_URL), with the answer's query: openid-client sends
    // it as the token request's redirect_uri, which must equal the authorization request's — never the request's
    // own scheme and Host (behind a TLS-terminating proxy that is http://…; a forged Host would be sent on).
    const returned = new URL(flow.redirectUri);
    returned.search = ctx.url.search;
    const identity = withinBounds(await provider.finish(returned, flow));
    return { ok: true, flow, identity, provider };
  } catch (err) {
    const failure = err instanceof ProviderError ? err : new ProviderError("handshake", "internal", "unexpected");
    if (!(err instanceof ProviderError)) ctx.rt.logger.error(`oauth: ${name} callback failed`, err);
    return fail(
      flow.purpose,
      `${failure.reason}:${failure.error}`,
      failureRedirect(ctx, flow.purpose, provider.label, failure, flow.next),
    );
  }
}
