import { recordAudit } from "../../core/audit.js";
import type { RequestContext } from "../../core/context.js";
import { sweepUserSessions } from "../../core/session-cookies.js";
import type { UserRecord } from "../../datastore/contracts.js";
import { sealedSecrets } from "./methods.js";

/**
 * An email code or magic link proves the mailbox. For an account whose email was never proved, that proof
 * also removes every credential and session that predate it (SECURITY 54, pre-account-hijack: someone who
 * registered the address first keeps nothing): the password, second factors, recovery codes and other sign-in
 * methods go, both uniquifiers rotate and sessions end. Then the account counts as confirmed.
 * Returns the user as it now is. Concurrent proofs: markConfirmed lets exactly one do the stripping.
 */
export async function proveEmail(ctx: RequestContext, user: UserRecord): Promise<UserRecord> {
  if (user.confirmedAt) return user;
  const { rt } = ctx;
  const users = rt.datastore.users;
  const won = await users.markConfirmed(user.id, ctx.now(), { fsUniquifier: user.fsUniquifier, email: user.email });
  if (won) {
    const email = sealedSecrets(user).email;
    await users.update(user.id, {
      password: null,
      tfPrimaryMethod: null,
      tfTotpSecret: null,
      tfPhoneNumber: null,
      mfRecoveryCodes: null,
      usTotpSecrets: email ? JSON.stringify({ email }) : null,
      usPhoneNumber: null,
    });
    await users.rotateUniquifier(user.id);
    await users.rotateTokenUniquifier(user.id);
    await sweepUserSessions(rt, user.id);
    await recordAudit(ctx, { event: "email_proved", outcome: "success", user, details: { credentials_removed: true } });
  }
  return (await users.findById(user.id)) ?? user;
}
