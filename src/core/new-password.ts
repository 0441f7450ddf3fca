import type { Datastore, UserRecord } from "../datastore/contracts.js";
import type { Runtime } from "./runtime.js";
import { sweepUserSessions } from "./session-cookies.js";

/**
 * Stores a new password hash the way every self-service password change must (reset link, /change): in one
 * transaction, a compare-and-set on the hash the caller verified against, both uniquifiers rotated and the
 * remember records deleted — so every session, remember cookie, auth token and outstanding reset link of the
 * user dies. Afterwards the user's server-side sessions are deleted as a clean-up only (the rotation already
 * made them dead): a session store that is down (Redis) cannot turn the committed change into an error.
 *
 * Returns false, changing nothing, when the stored hash is no longer the one `user.password` holds: someone else
 * changed it first. Of N concurrent calls with the same `user` snapshot exactly one succeeds. On success `user`
 * is updated in place (password and both uniquifiers). `alsoInTx` runs in the same transaction, after the
 * compare-and-set won (a reset link's proof of the mailbox), so both commit or neither does.
 */
export async function commitNewPassword(
  rt: Runtime,
  user: UserRecord,
  nextHash: string,
  alsoInTx?: (tx: Omit<Datastore, "transaction" | "close" | "migrations">) => Promise<unknown>,
): Promise<boolean> {
  const expected = user.password;
  const rotated = await rt.datastore.transaction(async (tx) => {
    if (!(await tx.users.replacePasswordHash(user.id, expected, nextHash))) return null;
    await alsoInTx?.(tx);
    const fsUniquifier = await tx.users.rotateUniquifier(user.id);
    const fsTokenUniquifier = await tx.users.rotateTokenUniquifier(user.id);
    await tx.remember.deleteForUser(user.id);
    return { fsUniquifier, fsTokenUniquifier };
  });
  if (!rotated) return false;
  user.password = nextHash;
  user.fsUniquifier = rotated.fsUniquifier;
  user.fsTokenUniquifier = rotated.fsTokenUniquifier;
  await sweepUserSessions(rt, user.id);
  return true;
}
