import { afterCommit } from "./after-commit.js";
import { forgetFailures } from "./lockout/lockout.js";
import type { AuditWriter } from "./audit.js";
import type { MessageRef } from "./http/respond.js";
import { commitNewPassword } from "./new-password.js";
import { checkNewPassword } from "./policy/password.js";
import type { Runtime } from "./runtime.js";
import type { UserRecord } from "../datastore/contracts.js";

/**
 * Setting a user's new password, the same from POST /change and from `api.changePassword` (FS
 * change_user_password): the password policy, the new hash stored with a compare-and-set on `user.password`
 * (both uniquifiers rotate, so every session, remember cookie and token of the user dies), then one audit row
 * and the `password_changed` event. What only a request has — verifying the current password, hooks, a new
 * session for the caller, the notice mail — stays with the route. In the core, not the change-password feature:
 * the api sets passwords with CHANGEABLE off too (as FS's admin_change_password does).
 */
export type PasswordChange = { ok: true } | { ok: false; problems: MessageRef[] } | { ok: false; concurrent: true };

export async function changeUserPassword(
  rt: Runtime,
  user: UserRecord,
  password: string,
  how: { audit: AuditWriter; details: Record<string, unknown> },
): Promise<PasswordChange> {
  const problems = await checkNewPassword(rt, password, { email: user.email, username: user.username });
  if (problems.length) return { ok: false, problems };
  if (!(await commitNewPassword(rt, user, await rt.hasher.hash(password)))) {
    // The stored password changed since `user` was read (a concurrent change or reset): nothing was written.
    await how.audit({ event: "password_changed", outcome: "failure", user, details: { reason: "CONCURRENT_CHANGE" } });
    return { ok: false, concurrent: true };
  }
  // The change is committed: a failing audit row is logged, never reported as a failed change.
  await afterCommit(rt, "the audit row", () =>
    how.audit({ event: "password_changed", outcome: "success", user, details: how.details }),
  );
  // A new password ends a lockout (the failures were guesses at the old one).
  await afterCommit(rt, "the unlock", () => forgetFailures(rt, user, { audit: how.audit, via: "password" }));
  // The new fs_uniquifier already ends the refresh families; revoking them says so in their rows and the audit.
  await afterCommit(rt, "the refresh token revocation", async () =>
    rt.services.tokenFamilies?.revokeForUser(rt, user, "password_changed", { audit: how.audit }),
  );
  await rt.events.emit("password_changed", { user });
  return { ok: true };
}
