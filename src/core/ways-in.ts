import type { UserRecord } from "../datastore/contracts.js";
import type { Runtime } from "./runtime.js";

/**
 * Whether the user can still sign in by themselves once every credential of one kind is gone: a password, a
 * unified sign-in method, a passkey that signs in by itself, a linked provider identity. Removing a user's last
 * way in is refused wherever a credential is removed (a passkey, a linked identity), so no account is left that
 * only a reset can open.
 */
export async function signsInWithout(rt: Runtime, user: UserRecord, kind: "passkeys" | "oauth"): Promise<boolean> {
  if (user.password !== null || Boolean(user.usTotpSecrets && user.usTotpSecrets !== "{}")) return true;
  if (kind !== "passkeys" && (await rt.services.passkeys?.hasFirstFactor(user))) return true;
  if (kind !== "oauth" && (await rt.services.oauth?.hasLinked(user))) return true;
  return false;
}
