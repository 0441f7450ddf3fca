import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import type { RequestContext } from "../../core/context.js";
import type { PendingSignIn } from "../../core/pending-sign-in.js";
import { findUserByIdentity } from "../../core/users.js";
import { authenticationOptions, newChallenge, userVerificationFor, wanConfig } from "./ceremony.js";
import { sealState, type CeremonyState } from "./state.js";
import { passkeyStore } from "./store.js";

/**
 * Who /wan-signin serves: a pending sign-in waiting for its passkey (the second factor: only that user's
 * "secondary" passkeys), or — when passkeys may sign in by themselves — anyone (the first factor). null: neither
 * (FS answers 404).
 */
export type SigninMode = { kind: "secondary"; pending: PendingSignIn } | { kind: "first" };

export async function signinMode(ctx: RequestContext): Promise<SigninMode | null> {
  const { rt } = ctx;
  const pending = await rt.pipeline.pending(ctx);
  if (pending && rt.pipeline.awaits(ctx, pending, "webauthn")) return { kind: "secondary", pending };
  return wanConfig(rt).allowAsFirstFactor ? { kind: "first" } : null;
}

/** A sign-in ceremony handed out: the options for the browser and the state its answer is posted to. */
export interface StartedSignin {
  options: PublicKeyCredentialRequestOptionsJSON;
  state: string;
  remember: boolean;
  secondary: boolean;
}

/**
 * Starts a sign-in ceremony. Second factor: the pending user's "secondary" passkeys, user verification not
 * asked (as FS). First factor: discoverable credentials (an empty allow list) unless user hints are on and the
 * identity names an active user with "first" passkeys; an unknown identity, an inactive account and an account
 * without passkeys all get the same discoverable options, so the answer does not tell them apart.
 */
export async function startSignin(
  ctx: RequestContext,
  mode: SigninMode,
  args: { identity: string; remember: boolean },
): Promise<StartedSignin> {
  const { rt } = ctx;
  const store = rt.datastore.store(passkeyStore);
  const secondary = mode.kind === "secondary";
  let userId = 0;
  if (mode.kind === "secondary") userId = mode.pending.user.id;
  else if (wanConfig(rt).allowUserHints && args.identity) {
    const user = await findUserByIdentity(rt, args.identity);
    if (user?.active) userId = user.id;
  }
  // Listed for every caller (nobody's id is 0): the same queries whether or not the identity names someone.
  const allow = (await store.listForUser(userId)).filter((c) => c.usage === (secondary ? "secondary" : "first"));
  const userVerification = userVerificationFor(rt, secondary ? "secondary" : "first");
  const challenge = newChallenge(rt);
  const state: CeremonyState = {
    ceremony: secondary ? "second-factor" : "signin",
    challenge,
    uniquifier: mode.kind === "secondary" ? mode.pending.user.fsUniquifier : null,
    name: null,
    usage: null,
    remember: mode.kind === "secondary" ? mode.pending.remember : args.remember,
    requireUv: userVerification === "required",
  };
  return {
    options: await authenticationOptions(rt, { challenge, allow, userVerification }),
    state: sealState(ctx, state),
    remember: state.remember,
    secondary,
  };
}
