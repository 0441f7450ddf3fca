import type { RequestContext } from "../../core/context.js";
import { sliceOf } from "../../core/config/slice.js";
import { setFlash } from "../../core/http/flash.js";
import type { MessageKey } from "../../core/messages.js";
import { redirect, type Redirect } from "../../core/outcome.js";
import { spaLocation, spaMode } from "../../kit/http/spa.js";
import { unifiedSigninSlice } from "../unified-signin/config.js";
import { oauthSlice } from "./config.js";
import type { FlowPurpose } from "./flow-state.js";
import { ProviderError } from "./providers/types.js";

/** A refusal of a provider flow: a message code and its parameters. */
export interface FlowFailure {
  code: MessageKey;
  params?: Record<string, string>;
  /** Already-rendered text (an app hook's veto). */
  text?: string;
}

/** A provider's error as the message the user reads (its error code and a bounded, printable description). */
export function failureOf(label: string, err: ProviderError): FlowFailure {
  if (err.reason === "unavailable") return { code: "OAUTH_PROVIDER_UNAVAILABLE", params: { provider: label } };
  if (err.reason === "denied") return { code: "OAUTH_ACCESS_DENIED", params: { provider: label } };
  const printable = (s: string, n: number) => s.replace(/[^\x20-\x7e]/g, " ").slice(0, n);
  return {
    code: "OAUTH_HANDSHAKE_ERROR",
    params: { exerror: printable(err.error, 64), exdesc: printable(err.description, 200) },
  };
}

/**
 * Where a browser goes when a flow fails — every answer of a provider's return is a redirect (as FS): a sign-in
 * back to the sign-in page with the message (SPA: LOGIN_ERROR_VIEW?error=…), a re-authentication back to the
 * verify page (SPA: VERIFY_ERROR_VIEW?error=…), a link back to the linked-accounts page. Nobody is signed in and
 * nothing was written.
 */
export function failureRedirect(
  ctx: RequestContext,
  purpose: FlowPurpose,
  label: string,
  failure: FlowFailure | ProviderError,
  next: string | null = null,
): Redirect {
  const { rt } = ctx;
  const cfg = sliceOf(rt.config, oauthSlice);
  const f = failure instanceof ProviderError ? failureOf(label, failure) : failure;
  const message = f.text ?? rt.message(f.code, f.params);
  const spaView =
    purpose === "login"
      ? sliceOf(rt.config, unifiedSigninSlice).loginErrorView
      : purpose === "verify"
        ? cfg.verifyErrorView
        : null;
  if (spaMode(ctx) && spaView) return redirect(spaLocation(ctx, spaView, { error: message }));
  setFlash(ctx, "error", message);
  const page =
    purpose === "login"
      ? rt.config.urls.login
      : purpose === "verify"
        ? (rt.services.reauthChoices?.find((c) => c.verifyUrl)?.verifyUrl ?? rt.config.urls.verify)
        : cfg.accountsUrl;
  const target = new URL(rt.url(page), "http://x");
  if (next) target.searchParams.set("next", next);
  return redirect(target.pathname + target.search);
}
