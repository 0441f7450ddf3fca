import type { RequestContext } from "../../core/context.js";
import type { PendingSignIn } from "../../core/pending-sign-in.js";
import { refused, type Outcome } from "../../core/outcome.js";
import type { Runtime } from "../../core/runtime.js";
import type { SecondFactorPlugin } from "../../core/services.js";
import type { UserRecord } from "../../datastore/contracts.js";
import type { AssertionVerdict, assertionCredential } from "./assertion-check.js";
import { wanConfig } from "./ceremony.js";
import { assertionRefused, signedInTail } from "./signin-answers.js";
import type { SigninView } from "./signin-page.js";
import { passkeyStore } from "./store.js";

/**
 * A passkey as a two-factor method (FS WebAuthnTfPlugin): offered to users with a "secondary" passkey; the
 * pending sign-in's "ready" answer points to /wan-signin (`tf_signin_url`), and only /wan-signin/<state> with a
 * second-factor state of that pending user completes it — through `pipeline.resume`, which checks the assertion
 * (lockout first), consumes the attempt once and signs in the stored attempt.
 */
export function passkeySecondFactor(rt: Runtime): SecondFactorPlugin {
  return {
    name: "webauthn",
    async isSetUp(user: UserRecord) {
      return (await rt.datastore.store(passkeyStore).listForUser(user.id)).some((c) => c.usage === "secondary");
    },
    async begin() {
      return { tf_signin_url: rt.url(wanConfig(rt).signinUrl) };
    },
  };
}

/** The second factor's assertion completes the pending sign-in (or is refused). */
export async function finishSecondFactor(
  ctx: RequestContext,
  pending: PendingSignIn,
  credential: ReturnType<typeof assertionCredential>,
  verdict: AssertionVerdict,
  how: { next: string | null; view: SigninView },
): Promise<Outcome<any, SigninView>> {
  const result = await ctx.rt.pipeline.resume(ctx, pending, {
    method: "webauthn",
    credential,
    includeAuthToken: ctx.includeAuthToken(),
  });
  if (result.kind === "no-pending" || result.kind === "replayed") return refused("TWO_FACTOR_PERMISSION_DENIED", 400);
  if (result.kind === "failed") return assertionRefused(result, verdict, how.view);
  // As a code at /tf-validate: a remembered sign-in is not asked for a second factor on this device for a while.
  if (result.kind === "signed-in") ctx.rt.services.twoFactor?.rememberDevice(ctx, result.user, pending.remember);
  return signedInTail(ctx, result, how);
}
